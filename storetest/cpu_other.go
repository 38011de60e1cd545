//go:build !unix

package storetest

import "time"

// cpuNow returns 0 where the process's CPU time is not at hand; benchmarks
// then report wall time only.
func cpuNow() time.Duration { return 0 }
