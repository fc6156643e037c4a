package store

// Notices are messages for a channel's admins (forwarding confirmations, reconnect needed).
type Notices interface{}
