package storetest

// authTests are the conformance cases of the store.Auth group.
func authTests() []Case { return nil }
