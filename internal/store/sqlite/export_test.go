package sqlite

// SetBackgroundCheckpoint switches the checkpointer for stores opened
// after it (the benchmark's "off" side); it returns the previous setting.
func SetBackgroundCheckpoint(on bool) bool {
	was := backgroundCheckpoint
	backgroundCheckpoint = on
	return was
}
