package engine

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Counters are the live figures of a run. Every field is safe to read while
// the run goes on; a progress display polls them.
type Counters struct {
	Total    atomic.Int64 // records expected, -1 when unknown; set by the caller
	Read     atomic.Int64 // records read, good and bad
	Embedded atomic.Int64 // records stored with a vector fetched in this run
	Cached   atomic.Int64 // records that cost no request: already stored, cached, or a duplicate text
	// Unchanged are records found stored under their ID with the same
	// text and model key (not looked up with Config.Force).
	Unchanged atomic.Int64
	Failed    atomic.Int64 // records written to the failures sink
	// Duplicates are records not stored because another record of the run
	// has their ID (Config.OnDuplicate first or last).
	Duplicates atomic.Int64
	Truncated  atomic.Int64 // records whose text the server cut to the model's context
	Requests   atomic.Int64 // HTTP requests sent
	Inputs     atomic.Int64 // texts sent (counting resends)
	Retries    atomic.Int64 // requests sent again after a retryable error
	Splits     atomic.Int64 // failed batches split in halves to isolate a bad input
	Chunked    atomic.Int64 // records cut into pieces (Config.Chunk)
	Pieces     atomic.Int64 // the pieces they were cut into
	Recut      atomic.Int64 // texts the server refused as too long, or cut at its context, embedded in smaller pieces
	Rechecked  atomic.Int64 // texts of a batch sent again alone, as the server may have cut them (see checkCut)
	InFlight   atomic.Int64 // requests being answered now
}

// Done is the number of records settled: stored, skipped or failed.
func (c *Counters) Done() int64 {
	return c.Embedded.Load() + c.Cached.Load() + c.Failed.Load() + c.Duplicates.Load()
}

// latencies is a log-scale histogram of request latencies: constant memory
// whatever the number of requests, percentiles within ~5%.
type latencies struct {
	mu      sync.Mutex
	buckets [histBuckets]int64
	n       int64
}

const (
	histMin     = 50 * time.Microsecond
	histGrowth  = 1.05
	histBuckets = 400 // 50µs × 1.05^400 ≈ 4.3 hours
)

var logGrowth = math.Log(histGrowth)

func (l *latencies) add(d time.Duration) {
	i := 0
	if d > histMin {
		i = int(math.Log(float64(d)/float64(histMin)) / logGrowth)
		if i >= histBuckets {
			i = histBuckets - 1
		}
	}
	l.mu.Lock()
	l.buckets[i]++
	l.n++
	l.mu.Unlock()
}

// quantile returns the upper bound of the bucket holding quantile q (0..1).
func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(l.n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i, c := range l.buckets {
		seen += c
		if seen >= rank {
			return time.Duration(float64(histMin) * math.Pow(histGrowth, float64(i+1)))
		}
	}
	return time.Duration(float64(histMin) * math.Pow(histGrowth, histBuckets))
}

// HostReport is one host's share of a run.
type HostReport struct {
	Name     string  `json:"name"`
	Embedded int64   `json:"embedded"` // texts it answered with a vector
	Requests int64   `json:"requests"` // probes included
	Retries  int64   `json:"retries"`  // requests sent again after it failed them
	P50      float64 `json:"p50_ms"`   // request latency
	P95      float64 `json:"p95_ms"`
	State    string  `json:"state"` // "up" or "down" when the run ended
}

// hostStats are the live figures of one host.
type hostStats struct {
	requests atomic.Int64
	retries  atomic.Int64
	embedded atomic.Int64 // texts answered with a vector
	first    atomic.Int64 // when its first request was sent (UnixNano); 0 = none yet
	lat      latencies
}

// rate is the texts per second the host has answered since its first
// request; 0 until it has answered some.
func (h *hostStats) rate(now time.Time) float64 {
	first, n := h.first.Load(), h.embedded.Load()
	if first == 0 || n == 0 {
		return 0
	}
	return float64(n) / now.Sub(time.Unix(0, first)).Seconds()
}
