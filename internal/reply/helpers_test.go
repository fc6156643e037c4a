package reply

func ptr[T any](v T) *T { return &v }
