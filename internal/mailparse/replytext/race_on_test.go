//go:build race

package replytext

// raceEnabled: the race detector slows the code down several times, so the
// time limits of TestLargeInputs are relaxed.
const raceEnabled = true
