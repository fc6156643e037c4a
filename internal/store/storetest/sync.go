package storetest

// syncTests are the conformance cases of the store.Sync group.
func syncTests() []Case { return nil }
