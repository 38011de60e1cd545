package engine

import (
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with full jitter: the n-th wait (from 0) is
// uniform in [0, min(Max, Base·2ⁿ)). Full jitter spreads the retries of many
// workers that failed together, so they do not hit a recovering server at
// the same instant.
type Backoff struct {
	Base time.Duration // default 1s
	Max  time.Duration // default 30s
}

// Defaults for Backoff.
const (
	defaultBackoffBase = time.Second
	defaultBackoffMax  = 30 * time.Second
)

// Delay returns the wait before retry n (0-based), never shorter than
// floor (a server's Retry-After).
func (b Backoff) Delay(n int, floor time.Duration) time.Duration {
	base, max := b.Base, b.Max
	if base <= 0 {
		base = defaultBackoffBase
	}
	if max <= 0 {
		max = defaultBackoffMax
	}
	ceil := base
	for i := 0; i < n && ceil < max; i++ {
		ceil *= 2
	}
	if ceil > max {
		ceil = max
	}
	d := time.Duration(rand.Int64N(int64(ceil) + 1))
	if d < floor {
		d = floor
	}
	return d
}
