package store

// Auth keeps sessions, API tokens and login throttling.
type Auth interface{}
