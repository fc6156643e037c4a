//go:build !race

package replytext

const raceEnabled = false
