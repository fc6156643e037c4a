//go:build race

package mailparse

// The race detector slows code 5-20x and inflates allocation: hostile-input
// time limits scale and allocation limits are not checked.
const raceEnabled = true
