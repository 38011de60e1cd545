//go:build race

package moviegen

// raceEnabled shrinks the streaming test: the race detector slows this
// single-goroutine code tenfold and has nothing to find in it.
const raceEnabled = true
