package storetest

// noticesTests are the conformance cases of the store.Notices group.
func noticesTests() []Case { return nil }
