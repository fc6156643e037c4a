package store

// Sync keeps IMAP checkpoints and channel status.
type Sync interface{}
