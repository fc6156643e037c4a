package store

// Secrets stores encrypted channel secrets (passwords, OAuth tokens).
type Secrets interface{}
