//go:build !race

package moviegen

const raceEnabled = false
