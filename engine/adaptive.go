package engine

import (
	"container/list"
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
)

// Outcome is what a finished request says about the server's load.
type Outcome int

const (
	OK      Outcome = iota // answered: its latency is a measurement
	Busy                   // 503 or 429: backpressure, the server has too much
	Timeout                // no answer in time: the server is overloaded or stuck
	Failed                 // any other error: no signal about load
	Dropped                // cancelled by the caller: no signal
)

var outcomeNames = [...]string{"ok", "busy", "timeout", "failed", "dropped"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "unknown"
	}
	return outcomeNames[o]
}

// outcomeOf classifies the result of one request sent under ctx.
func outcomeOf(ctx context.Context, err error) Outcome {
	switch {
	case err == nil:
		return OK
	case ctx.Err() != nil:
		return Dropped
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	var se *salvo.StatusError
	if errors.As(err, &se) && (se.StatusCode == 503 || se.StatusCode == 429) {
		return Busy
	}
	return Failed
}

// Sample is one finished request, as reported to Limiter.Release and
// Batcher.Observe.
type Sample struct {
	Latency time.Duration // round-trip time of the request
	Inputs  int           // texts in the request
	Outcome Outcome
}

// Defaults for LimiterConfig.
const (
	DefaultLimitInitial = 2
	DefaultLimitMin     = 1
	DefaultLimitMax     = 32
)

// Tuning of the adaptive limit; the Limiter doc explains each.
const (
	limitDecrease = 0.75             // factor applied on Busy or Timeout
	probeEvery    = 30 * time.Second // at least this long between probes...
	probeRTTs     = 10               // ...and at least this many round trips
	probeSamples  = 8                // answers a probe measures
	ceilingFirst  = 10 * time.Second // how long a limit that met Busy stays a ceiling...
	ceilingMost   = 5 * time.Minute  // ...doubling up to this while the same limit meets Busy again
)

// LimiterConfig configures NewLimiter. The zero value is adaptive between
// DefaultLimitMin and DefaultLimitMax, starting at DefaultLimitInitial.
type LimiterConfig struct {
	Fixed   int              // > 0: a fixed limit (--concurrency N); adaptive otherwise
	Initial int              // adaptive start; default DefaultLimitInitial
	Min     int              // default DefaultLimitMin
	Max     int              // default DefaultLimitMax; also the number of workers a host needs
	Clock   func() time.Time // nil = time.Now; tests inject simulated time
}

// Limiter bounds the requests in flight to one host. With a fixed limit it
// is a plain semaphore. Adaptive, it looks for the server's knee: the fewest
// requests in flight that keep every evaluation slot busy, plus a small
// queue so that a slot never waits for the next request to arrive.
//
// It works in windows of about one round trip. A window starts when the
// limit changes (once the requests in flight are within the new limit) and
// ends when as many requests as the limit, all sent inside the window, have
// answered. Latencies are normalised per input, so batch sizes may vary.
// Over a window the limiter knows the mean number of requests in flight L
// (time-averaged), their mean latency per input, and the base: the lowest
// latency per input seen, i.e. without queueing. By Little's law the server
// is evaluating S = L × base/latency requests at a time and the other
// L − S wait in its queue. The limiter keeps that queue near max(1, √S):
// below it by more than 0.5 it adds one request per window (doubling
// instead during the initial slow start, which ends at the first sign of a
// queue), above it by more than 1.5 it sets the limit to S + √S at once. A
// healthy server with 4 slots thus settles at 6 in flight, one with a
// single slot (Ollama on a CPU) at 2. When the server loses capacity (other
// clients, fewer slots) the latency grows while base does not, so S falls
// and the limit follows it within a window or two. A 503, 429 or timeout
// multiplies the limit by 0.75, at most once per round trip and never for a
// request sent before the previous cut; the limit it cut from becomes a
// ceiling for a minute, so a queue limit (OLLAMA_MAX_QUEUE) is hit once,
// not every few windows. Because base only ever decreases between
// measurements, every 30 s (at least 10 round trips) the limiter probes:
// for one window it lowers the limit to S, where nothing waits and slots
// stay busy, and takes that window's lowest latency as the new base, so
// slower inputs (longer texts, a bigger model) are not mistaken for a
// queue. Requests that failed for other reasons or were cancelled say
// nothing about load and are ignored.
//
// A Limiter is safe for concurrent use. Every successful Acquire must be
// followed by exactly one Release.
type Limiter struct {
	now      func() time.Time
	adaptive bool
	min, max int

	mu       sync.Mutex
	limit    int
	inFlight int
	waiters  list.List // of chan struct{}: blocked Acquire calls, oldest first

	// Adaptive state.
	slowStart    bool
	base         float64       // latency per input (ns) without queueing; 0 = none yet
	booting      bool          // no window has ended yet: base is the fastest answer so far
	rtt          time.Duration // smoothed latency of answered requests
	win          window
	draining     bool // more requests in flight than the limit: the window has not started
	settling     bool // the limit rose: the first window after it sees the queue only build up
	probing      bool
	saved        int // the limit to return to after a probe
	lastProbe    time.Time
	lastDecrease time.Time
	ceiling      int
	ceilingFor   time.Duration
	ceilingUntil time.Time
}

// window accumulates the measurements of one round trip.
type window struct {
	start   time.Time
	last    time.Time // when inFlight last changed
	area    float64   // ∫ inFlight dt over the window, in request·ns
	peak    int       // most requests in flight during the window
	n       int       // answered requests sent during the window
	latency time.Duration
	inputs  int
}

// NewLimiter returns a Limiter; see LimiterConfig for the defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	l := &Limiter{now: cfg.Clock}
	if l.now == nil {
		l.now = time.Now
	}
	if cfg.Fixed > 0 {
		l.min, l.max, l.limit = cfg.Fixed, cfg.Fixed, cfg.Fixed
		return l
	}
	l.adaptive, l.slowStart, l.booting = true, true, true
	l.min, l.max = cfg.Min, cfg.Max
	if l.min <= 0 {
		l.min = DefaultLimitMin
	}
	if l.max <= 0 {
		l.max = DefaultLimitMax
	}
	l.max = max(l.max, l.min)
	l.limit = cfg.Initial
	if l.limit <= 0 {
		l.limit = DefaultLimitInitial
	}
	l.limit = min(max(l.limit, l.min), l.max)
	now := l.now()
	l.lastProbe = now
	l.win.reset(now, 0)
	return l
}

// Acquire blocks until fewer requests than the limit are in flight, then
// counts one more. It returns ctx.Err(), holding nothing, if ctx ends first.
// Waiters are served in order.
func (l *Limiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := l.now()
	l.mu.Lock()
	if l.inFlight < l.limit && l.waiters.Len() == 0 {
		l.take(now)
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	e := l.waiters.PushBack(ch)
	l.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	now = l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-ch: // granted meanwhile: hand the permit on
		l.put(now)
		l.grant(now)
	default:
		l.waiters.Remove(e)
	}
	return ctx.Err()
}

// Release ends a request that Acquire admitted and learns from it.
func (l *Limiter) Release(s Sample) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight == 0 {
		panic("engine: Limiter.Release without Acquire")
	}
	l.put(now)
	if l.adaptive {
		l.observe(s, now)
	}
	l.grant(now)
}

// Limit is the number of requests allowed in flight now.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// InFlight is the number of requests acquired and not yet released.
func (l *Limiter) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight
}

// Max is the highest limit the Limiter may reach: the number of workers a
// host needs so that the limit, not the workers, bounds the requests.
func (l *Limiter) Max() int { return l.max }

func (l *Limiter) take(now time.Time) {
	l.advance(now)
	l.inFlight++
	l.win.peak = max(l.win.peak, l.inFlight)
}

func (l *Limiter) put(now time.Time) {
	l.advance(now)
	l.inFlight--
	if l.draining && l.inFlight <= l.limit {
		l.draining = false
		l.win.reset(now, l.inFlight)
	}
}

func (l *Limiter) advance(now time.Time) {
	if now.After(l.win.last) {
		l.win.area += float64(l.inFlight) * float64(now.Sub(l.win.last))
		l.win.last = now
	}
}

func (l *Limiter) grant(now time.Time) {
	for l.inFlight < l.limit && l.waiters.Len() > 0 {
		ch := l.waiters.Remove(l.waiters.Front()).(chan struct{})
		l.take(now)
		close(ch)
	}
}

func (w *window) reset(now time.Time, inFlight int) {
	*w = window{start: now, last: now, peak: inFlight}
}

// setLimit changes the limit and starts a new window, once the requests
// sent under the old limit are within the new one.
func (l *Limiter) setLimit(n int, now time.Time) {
	n = min(max(n, l.min), l.max)
	l.settling = n > l.limit
	l.limit = n
	l.draining = l.inFlight > l.limit
	l.win.reset(now, l.inFlight)
}

func (l *Limiter) observe(s Sample, now time.Time) {
	switch s.Outcome {
	case Busy, Timeout:
		l.backOff(s, now)
		return
	case OK:
	default:
		return
	}
	inputs := max(s.Inputs, 1)
	per := float64(s.Latency) / float64(inputs)
	if l.booting && (l.base == 0 || per < l.base) {
		l.base = per // the first answers: one of them at least did not queue behind ours
	}
	if l.rtt == 0 {
		l.rtt = s.Latency
	} else {
		l.rtt += (s.Latency - l.rtt) / 4
	}
	if l.draining || now.Add(-s.Latency).Before(l.win.start) {
		return // sent under an earlier limit
	}
	w := &l.win
	w.n++
	w.latency += s.Latency
	w.inputs += inputs
	if w.n >= l.limit && (!l.probing || w.n >= probeSamples) && now.After(w.start) {
		l.update(now)
	}
}

// update ends a window: it estimates the server's slots and queue and moves
// the limit.
func (l *Limiter) update(now time.Time) {
	w := &l.win
	latency := float64(w.latency) / float64(w.inputs)
	l.booting = false
	if l.probing {
		if debugLimiter != nil {
			debugLimiter("t=%v probe end base %.2f -> %.2f", now.Sub(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), l.base/1e6, latency/1e6)
		}
		l.probing = false
		l.base, l.lastProbe = latency, now
		l.setLimit(l.saved, now)
		return
	}
	l.base = min(l.base, latency)
	inFlight := w.area / float64(now.Sub(w.start))
	served := inFlight * l.base / latency
	queue := inFlight - served
	allow := max(1, math.Sqrt(served))
	if debugLimiter != nil {
		debugLimiter("t=%v limit=%d L=%.2f lat=%.2fms base=%.2fms served=%.2f queue=%.2f n=%d probing=%v", now.Sub(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), l.limit, inFlight, latency/1e6, l.base/1e6, served, queue, w.n, l.probing)
	}

	if queue > allow+1.5 {
		l.slowStart = false
		l.setLimit(max(int(math.Round(served+allow)), l.limit/2), now)
		return
	}
	if l.settling { // the queue was still building up: measure again
		l.settling = false
		w.reset(now, l.inFlight)
		return
	}
	switch {
	case l.slowStart && queue < 0.25, !l.slowStart && queue < allow-0.5:
		next := l.limit + 1
		if l.slowStart {
			next = 2 * l.limit
		}
		if l.ceiling > 0 && now.Before(l.ceilingUntil) {
			next = min(next, l.ceiling-1)
		}
		if w.peak >= l.limit && next > l.limit {
			l.setLimit(next, now)
			return
		}
	default:
		l.slowStart = false
	}
	// Holding: time to check that base is still right?
	if !l.slowStart && now.Sub(l.lastProbe) >= max(probeEvery, probeRTTs*l.rtt) {
		if p := max(l.min, int(math.Round(served))); queue >= 0.5 && p < l.limit {
			l.probing, l.saved = true, l.limit
			l.setLimit(p, now)
			return
		}
		l.base, l.lastProbe = latency, now // nothing waited: this window was a probe
	}
	w.reset(now, l.inFlight)
}

// backOff cuts the limit after a Busy or Timeout answer.
func (l *Limiter) backOff(s Sample, now time.Time) {
	if now.Add(-s.Latency).Before(l.lastDecrease) || (l.rtt > 0 && now.Sub(l.lastDecrease) < l.rtt) {
		return // the last cut has not had a round trip to work yet
	}
	from := l.limit
	if l.probing {
		l.probing, from = false, l.saved
	}
	l.slowStart = false
	l.lastDecrease = now
	if l.ceiling > 0 && from >= l.ceiling {
		l.ceilingFor = min(2*l.ceilingFor, ceilingMost) // tried again, and met Busy again
	} else {
		l.ceilingFor = ceilingFirst
	}
	l.ceiling, l.ceilingUntil = from, now.Add(l.ceilingFor)
	l.setLimit(int(float64(from)*limitDecrease), now)
}

// Defaults for NewBatcher.
const (
	DefaultBatchInitial = 32
	DefaultBatchMin     = 8
	DefaultBatchMax     = 256
)

// Tuning of the automatic batch size; the Batcher doc explains each.
const (
	batchTarget = 2 * time.Second // the request latency aimed at
	batchEvery  = 8               // answered requests between two decisions
)

// Batcher chooses the batch size ("--batch-size auto"). Bigger batches
// amortise what a server pays per request (about 20 ms on a CPU Ollama);
// smaller ones make a failed batch cheaper to bisect, lose less on kill -9
// and stay far from the request timeout. The Batcher aims at requests that
// take about 2 s as the client sees them, queueing included: every 8
// answered requests it predicts the latency of the current size from their
// mean latency per input and, only when the prediction is off by more than
// a factor of 2, moves towards 2 s, by at most a factor of 2 at a time and
// within [min, max]. Starting at 32, it keeps 32 on a CPU Ollama (about
// 50 ms per input: 1.6 s per request, 3 s with one queued), settles at 64
// when inputs cost 20 ms, grows to 256 on a fast GPU and shrinks to 8 for a
// model that takes a second per input. Only answered requests count.
//
// A Batcher is safe for concurrent use.
type Batcher struct {
	fixed    bool
	min, max int

	mu      sync.Mutex
	size    int
	n       int
	latency time.Duration
	inputs  int
}

// NewBatcher returns a Batcher. fixed > 0 is a fixed size (--batch-size N)
// that never changes; otherwise the size starts at initial and stays within
// [lo, hi]. Zero values mean DefaultBatchInitial, DefaultBatchMin and
// DefaultBatchMax.
func NewBatcher(fixed, initial, lo, hi int) *Batcher {
	if fixed > 0 {
		return &Batcher{fixed: true, size: fixed, min: fixed, max: fixed}
	}
	b := &Batcher{min: lo, max: hi, size: initial}
	if b.min <= 0 {
		b.min = DefaultBatchMin
	}
	if b.max <= 0 {
		b.max = DefaultBatchMax
	}
	b.max = max(b.max, b.min)
	if b.size <= 0 {
		b.size = DefaultBatchInitial
	}
	b.size = clamp(b.size, b.min, b.max)
	return b
}

// Size is the number of texts to put in the next request.
func (b *Batcher) Size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

// Observe learns from one finished request.
func (b *Batcher) Observe(s Sample) {
	if b.fixed || s.Outcome != OK || s.Inputs <= 0 {
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

var debugLimiter func(string, ...any)
