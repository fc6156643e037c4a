package storetest

// secretsTests are the conformance cases of the store.Secrets group.
func secretsTests() []Case { return nil }
