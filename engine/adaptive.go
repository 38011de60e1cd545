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

// signal is what a finished request says about the server's load.
type signal int

const (
	signalOK      signal = iota // answered: its latency is a measurement
	signalBusy                  // 503 or 429: backpressure, the server has too much
	signalTimeout               // no answer in time: the server is overloaded or stuck
	signalFailed                // any other error: no signal about load
	signalDropped               // cancelled by the caller: no signal
)

var outcomeNames = [...]string{"ok", "busy", "timeout", "failed", "dropped"}

func (o signal) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "unknown"
	}
	return outcomeNames[o]
}

// outcomeOf classifies the result of one request sent under ctx.
func outcomeOf(ctx context.Context, err error) signal {
	switch {
	case err == nil:
		return signalOK
	case ctx.Err() != nil:
		return signalDropped
	case errors.Is(err, context.DeadlineExceeded):
		return signalTimeout
	}
	var se *salvo.StatusError
	if errors.As(err, &se) && (se.StatusCode == 503 || se.StatusCode == 429) {
		return signalBusy
	}
	return signalFailed
}

// sample is one finished request, as reported to limiter.Release and
// batcher.Observe.
type sample struct {
	Latency time.Duration // round-trip time of the request
	Inputs  int           // texts in the request
	Outcome signal
}

// Defaults for LimiterConfig.
const (
	defaultLimitInitial = 4
	defaultLimitMin     = 1
	defaultLimitMax     = 32
)

// Tuning of the adaptive limit; the limiter doc explains each.
const (
	limitDecrease = 0.75             // factor applied on a busy answer or a timeout
	probeEvery    = 30 * time.Second // at least this long between probes...
	probeRTTs     = 10               // ...and at least this many round trips
	probeSamples  = 8                // answers a probe measures
	ceilingFirst  = 10 * time.Second // how long a limit that met a busy answer stays a ceiling...
	ceilingMost   = 5 * time.Minute  // ...doubling up to this while the same limit meets one again
)

// LimiterConfig configures NewLimiter. The zero value is adaptive between
// defaultLimitMin and defaultLimitMax, starting at defaultLimitInitial.
type LimiterConfig struct {
	Fixed   int              // > 0: a fixed limit (--concurrency N); adaptive otherwise
	Initial int              // adaptive start; default defaultLimitInitial
	Min     int              // default defaultLimitMin
	Max     int              // default defaultLimitMax; also the number of workers a host needs
	Clock   func() time.Time // nil = time.Now; tests inject simulated time
}

// Limiter bounds the requests in flight to one host. With a fixed limit it
// is a plain FIFO semaphore. Adaptive, it looks for the server's knee: the
// fewest requests in flight that keep every evaluation slot busy, plus a
// small queue so that no slot waits for the next request to arrive.
//
// It measures in windows of about one round trip. A window starts when the
// limit changes, once the requests in flight fit under the new limit, and
// ends when as many requests sent inside it as the limit have answered.
// Latency is taken per input, so batch sizes may vary. A window gives L,
// the time-averaged number of requests in flight, and their latency; the
// limiter also keeps a base, the latency per input of a request that did
// not queue. By Little's law the server is evaluating S = L × base/latency
// of our requests at a time, and the other L − S wait in its queue. The
// limiter keeps that queue near q = max(1, √S): below q − 0.5 it raises
// the limit to S + q (by one at least), above q + 1 it lowers it to S + q
// at once, in between it holds. A server with 4 slots thus settles at about
// 6 requests in flight, a single-slot one (Ollama on a CPU) at 2. When the
// server loses capacity (fewer slots, other clients) the latency grows while
// the base does not, so S falls and the limit follows within a window or
// two. It starts with a slow start that doubles the limit every window
// until a queue shows beyond noise (more than max(0.5, L/8) requests). A
// rise is paced, one more request per answer, so it sends no burst, and
// the window after it may only lower the limit or go on with slow start:
// the queue is still building up then.
//
// A 503, 429 or timeout multiplies the limit by 0.75, at most once per
// round trip and never for a request sent before the previous cut. The
// limit it cut from becomes a ceiling for 10 s, doubled each time the same
// ceiling meets a 503 again (up to 5 min), so a queue limit such as
// OLLAMA_MAX_QUEUE costs a few 503s, not one every few windows.
//
// The base comes from the first answers, the windows of slow start and,
// once past it, windows faster than the base. So that it also follows inputs that get
// slower (longer texts, another model), right after slow start and then
// every 30 s (at least 10 round trips) the limiter probes: for a window of
// at least 8 answers it lowers the limit to S, where nothing should wait
// and the slots stay busy. If throughput fell, slots were idle, so nothing
// waited and the probe's latency is the new base; if not, the probe may
// have queued and only a lower latency is taken. Probe and slow-start
// windows count only requests sent early enough that all of them have
// answered, since the fast ones answer first. Other errors and cancelled
// requests say nothing about load and are ignored.
//
// A limiter is safe for concurrent use. Every successful Acquire must be
// followed by exactly one Release.
type Limiter struct {
	now      func() time.Time
	adaptive bool
	min, max int

	mu       sync.Mutex
	limit    int
	paced    int // the limit in force: it rises by one per answer up to limit, so a rise sends no burst
	inFlight int
	waiters  list.List // of chan struct{}: blocked Acquire calls, oldest first

	// Adaptive state.
	slowStart    bool
	base         float64 // latency per input (ns) without queueing; 0 = none yet
	booting      bool    // no window has ended yet: base is the fastest answer so far
	poolLatency  float64 // Σ latency per input × inputs over the windows of slow start
	poolInputs   float64
	rtt          time.Duration // smoothed latency of answered requests
	win          window
	draining     bool // more requests in flight than the limit: the window has not started
	settling     bool // the limit rose: the first window after it sees the queue only build up
	probing      bool
	saved        int     // the limit to return to after a probe
	probeFrom    float64 // throughput before the probe, in inputs per ns
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
	answers []answer  // answered requests sent during the window
}

// NewLimiter returns a Limiter; see LimiterConfig for the defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	l := &Limiter{now: cfg.Clock}
	if l.now == nil {
		l.now = time.Now
	}
	if cfg.Fixed > 0 {
		l.min, l.max, l.limit, l.paced = cfg.Fixed, cfg.Fixed, cfg.Fixed, cfg.Fixed
		return l
	}
	l.adaptive, l.slowStart, l.booting = true, true, true
	l.min, l.max = cfg.Min, cfg.Max
	if l.min <= 0 {
		l.min = defaultLimitMin
	}
	if l.max <= 0 {
		l.max = defaultLimitMax
	}
	l.max = max(l.max, l.min)
	l.limit = cfg.Initial
	if l.limit <= 0 {
		l.limit = defaultLimitInitial
	}
	l.limit = min(max(l.limit, l.min), l.max)
	l.paced = l.limit
	l.win.reset(l.now(), 0) // lastProbe zero: the first probe follows slow start
	return l
}

// Acquire blocks until fewer requests than the limit are in flight, then
// counts one more. It returns ctx.Err(), holding nothing, if ctx ends first.
// Waiters are served in order.
func (l *Limiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.tryAcquire() {
		return nil
	}
	l.mu.Lock()
	if l.inFlight < l.paced && l.waiters.Len() == 0 { // released meanwhile
		l.take(l.now())
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
	now := l.now()
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

// tryAcquire is Acquire without waiting: it reports whether it counted a
// request.
func (l *Limiter) tryAcquire() bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight < l.paced && l.waiters.Len() == 0 {
		l.take(now)
		return true
	}
	return false
}

// Release ends a request that Acquire admitted and learns from it.
func (l *Limiter) Release(s sample) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight == 0 {
		panic("engine: limiter.Release without Acquire")
	}
	l.put(now)
	if l.adaptive {
		l.observe(s, now)
		l.paced = min(l.paced+1, l.limit)
	}
	l.grant(now)
}

// Limit is the limit on requests in flight. A rise takes effect one request
// per answer, so InFlight may stay below it for a round trip.
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

// Max is the highest limit the limiter may reach: the number of workers a
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
	for l.inFlight < l.paced && l.waiters.Len() > 0 {
		ch := l.waiters.Remove(l.waiters.Front()).(chan struct{})
		l.take(now)
		close(ch)
	}
}

// answer is an answered request of a window.
type answer struct {
	sent    time.Time
	latency time.Duration
	inputs  int
}

func (w *window) reset(now time.Time, inFlight int) {
	*w = window{start: now, last: now, peak: inFlight, answers: w.answers[:0]}
}

// latency is the mean latency per input of the window's first answers, or
// 0 when fewer than need are in. Fast requests answer first, so counting
// the first need answers to arrive would favour them; unbiased counts only
// requests sent long enough ago that every one of them has answered (if
// none is slower than the slowest seen), as a probe needs.
func (w *window) latency(now time.Time, need int, unbiased bool) (float64, int) {
	if len(w.answers) < need {
		return 0, 0
	}
	cutoff := now
	if unbiased {
		var slowest time.Duration
		for _, a := range w.answers {
			slowest = max(slowest, a.latency)
		}
		cutoff = now.Add(-slowest)
	}
	var n, inputs int
	var sum time.Duration
	for _, a := range w.answers {
		if !a.sent.After(cutoff) {
			n, sum, inputs = n+1, sum+a.latency, inputs+a.inputs
		}
	}
	if n < need {
		return 0, 0
	}
	return float64(sum) / float64(inputs), inputs
}

// setLimit changes the limit and starts a new window, once the requests
// sent under the old limit are within the new one.
func (l *Limiter) setLimit(n int, now time.Time) {
	n = min(max(n, l.min), l.max)
	l.settling = n > l.limit
	l.limit = n
	l.paced = min(l.paced, n)
	l.draining = l.inFlight > l.limit
	l.win.reset(now, l.inFlight)
}

func (l *Limiter) observe(s sample, now time.Time) {
	switch s.Outcome {
	case signalBusy, signalTimeout:
		l.backOff(s, now)
		return
	case signalOK:
		if s.Latency <= 0 {
			return // no measurement
		}
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
	sent := now.Add(-s.Latency)
	if l.draining || sent.Before(l.win.start) || !now.After(l.win.start) {
		return // sent under an earlier limit
	}
	w := &l.win
	w.answers = append(w.answers, answer{sent, s.Latency, inputs})
	need := l.limit
	if l.probing {
		need = max(need, probeSamples)
	}
	if latency, inputs := w.latency(now, need, l.probing || l.slowStart); latency > 0 {
		l.update(now, latency, inputs)
	}
}

// update ends a window: it estimates the server's slots and queue and moves
// the limit.
func (l *Limiter) update(now time.Time, latency float64, inputs int) {
	w := &l.win
	l.booting = false
	inFlight := w.area / float64(now.Sub(w.start))
	if l.probing {
		l.probing, l.lastProbe = false, now
		if inFlight/latency < 0.85*l.probeFrom {
			l.base = latency // throughput fell: slots were idle, so nothing waited
		} else {
			l.base = min(l.base, latency) // still saturated: the probe may have queued
		}
		l.setLimit(l.saved, now)
		return
	}
	served := inFlight * min(1, l.base/latency)
	queue := inFlight - served
	if latency < l.base { // the server got faster, or the base was a slow measurement
		l.base = (l.base + latency) / 2
	}
	allow := max(1, math.Sqrt(served))

	if queue > allow+1 {
		l.slowStart = false
		l.setLimit(max(int(math.Round(served+allow)), l.limit/2), now)
		return
	}
	clean := queue < max(0.5, inFlight/8)      // within the noise of an empty queue
	if l.settling && !(l.slowStart && clean) { // the queue was still building up: measure again
		l.settling = false
		w.reset(now, l.inFlight)
		return
	}
	l.settling = false
	if l.slowStart && clean { // nothing waits yet: every window measures the base
		l.poolLatency += latency * float64(inputs)
		l.poolInputs += float64(inputs)
		l.base = l.poolLatency / l.poolInputs
	}
	l.slowStart = l.slowStart && clean
	due := !l.slowStart && now.Sub(l.lastProbe) >= max(probeEvery, probeRTTs*l.rtt)
	if p := max(l.min, int(math.Round(served))); due && queue >= 0.5 && p < l.limit {
		l.probing, l.saved, l.probeFrom = true, l.limit, inFlight/latency // is base still right?
		l.setLimit(p, now)
		return
	}
	if due {
		l.lastProbe = now // nothing waited: this window was a probe
	}
	if (l.slowStart || queue < allow-0.5) && w.peak >= l.limit {
		next := max(l.limit+1, int(math.Round(served+allow)))
		if l.slowStart {
			next = 2 * l.limit
		}
		if l.ceiling > 0 && now.Before(l.ceilingUntil) {
			next = min(next, l.ceiling-1)
		}
		if next > l.limit {
			l.setLimit(next, now)
			return
		}
	}
	w.reset(now, l.inFlight)
}

// backOff cuts the limit after a busy answer or a timeout.
func (l *Limiter) backOff(s sample, now time.Time) {
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
		l.ceilingFor = min(2*l.ceilingFor, ceilingMost) // tried again, and met a busy answer again
	} else {
		l.ceilingFor = ceilingFirst
	}
	l.ceiling, l.ceilingUntil = from, now.Add(l.ceilingFor)
	l.setLimit(int(float64(from)*limitDecrease), now)
}
