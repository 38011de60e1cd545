package engine

import (
	"math"
	"sync"
	"time"
)

// Defaults for newBatcher.
const (
	defaultBatchInitial = 32
	defaultBatchMin     = 8
	defaultBatchMax     = 256
)

// Tuning of the automatic batch size; the batcher doc explains each.
const (
	batchTarget = 2 * time.Second // the request latency aimed at
	batchEvery  = 8               // answered requests between two decisions
)

// batcher chooses the batch size ("--batch-size auto"). Bigger batches
// amortise what a server pays per request (about 20 ms on a CPU Ollama);
// smaller ones make a failed batch cheaper to bisect, lose less on kill -9
// and stay far from the request timeout. The batcher aims at requests that
// take about 2 s as the client sees them, queueing included: every 8
// answered requests (sooner if they are very slow) it predicts the latency
// of the current size from their mean latency per input and, only when the
// prediction is off by more than a factor of 2, moves towards 2 s, by at
// most a factor of 2 at a time and within [min, max]. Starting at 32, it keeps 32 on a CPU Ollama (about
// 50 ms per input: 1.6 s per request, 3 s with one queued), settles at 64
// when inputs cost 20 ms, grows to 256 on a fast GPU and shrinks to 8 for a
// model that takes a second per input. Only answered requests count.
//
// A batcher is safe for concurrent use.
type batcher struct {
	fixed    bool
	min, max int

	mu      sync.Mutex
	size    int
	n       int
	latency time.Duration
	inputs  int
}

// newBatcher returns a batcher. fixed > 0 is a fixed size (--batch-size N)
// that never changes; otherwise the size starts at initial and stays within
// [lo, hi]. Zero values mean defaultBatchInitial, defaultBatchMin and
// defaultBatchMax.
func newBatcher(fixed, initial, lo, hi int) *batcher {
	if fixed > 0 {
		return &batcher{fixed: true, size: fixed, min: fixed, max: fixed}
	}
	b := &batcher{min: lo, max: hi, size: initial}
	if b.min <= 0 {
		b.min = defaultBatchMin
	}
	if b.max <= 0 {
		b.max = defaultBatchMax
	}
	b.max = max(b.max, b.min)
	if b.size <= 0 {
		b.size = defaultBatchInitial
	}
	b.size = clamp(b.size, b.min, b.max)
	return b
}

// Size is the number of texts to put in the next request.
func (b *batcher) Size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

// Observe learns from one finished request.
func (b *batcher) Observe(s sample) {
	if b.fixed || s.Outcome != signalOK || s.Inputs <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	b.latency += s.Latency
	b.inputs += s.Inputs
	if b.n < batchEvery && b.latency < batchEvery*batchTarget {
		return // too few answers to decide, unless they were very slow
	}
	per := float64(b.latency) / float64(b.inputs)
	b.n, b.latency, b.inputs = 0, 0, 0
	if per <= 0 {
		return
	}
	predicted := per * float64(b.size)
	if predicted*2 >= float64(batchTarget) && predicted <= 2*float64(batchTarget) {
		return
	}
	want := int(math.Round(float64(batchTarget) / per))
	b.size = clamp(clamp(want, b.size/2, 2*b.size), b.min, b.max)
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }
