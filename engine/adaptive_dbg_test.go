package engine

import (
	"testing"
	"time"
)

func TestDbg(t *testing.T) {
	debugLimiter = t.Logf
	defer func() { debugLimiter = nil }()
	c := simConfig{slots: 4, perInput: ms(20), perRequest: ms(10), jitter: 0.2, net: ms(1) / 2, duration: 60 * time.Second}
	simulate(c)
}
