package engine

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// A discrete-event simulation of an Ollama-like server driven by a Limiter
// and a Batcher, in simulated time: a minute of load runs in milliseconds
// and every run is the same. The server is ollamatest's capacity model: a
// request waits (pending) while it pays perRequest under one global lock,
// then for one of slots slots, which it holds for inputs × perInput; with
// a queue limit, a request that finds that many pending is answered 503.

type simConfig struct {
	slots      int
	perInput   time.Duration
	perRequest time.Duration
	queue      int           // 503 when this many are pending; 0 = no limit
	jitter     float64       // each request's per-input cost varies by ±jitter
	net        time.Duration // one way between client and server
	duration   time.Duration // whole seconds
	changes    []simChange
	limiter    LimiterConfig
	batch      int // fixed batch size; 0 = auto
}

// simChange sets the number of slots at a whole second.
type simChange struct {
	at    time.Duration
	slots int
}

// simResult holds per-second figures.
type simResult struct {
	busy, capacity []time.Duration // slot time held, and slots × 1 s
	limMin, limMax []int           // the limit's range within the second
	batch          []int           // batch size at the end of the second
	rejected       []int           // 503 answers
	requests       int
}

type simReq struct {
	inputs  int
	sent    time.Duration
	outcome Outcome
}

const (
	evArrive = iota
	evLockDone
	evDone
	evRespond
	evWake
	evSlots
)

type simEvent struct {
	at    time.Duration
	seq   int
	kind  int
	req   *simReq
	slots int
}

type simHeap []simEvent

func (h simHeap) Len() int { return len(h) }
func (h simHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}
func (h simHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *simHeap) Push(x any)   { *h = append(*h, x.(simEvent)) }
func (h *simHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type sim struct {
	cfg    simConfig
	now    time.Duration
	events simHeap
	seq    int
	rng    *rand.Rand
	lim    *Limiter
	bat    *Batcher

	idle  int   // workers without a batch
	ready []int // sizes of batches to send again after a 503

	slots, holding, pending int
	lockBusy                bool
	lockQ, slotQ            []*simReq

	res simResult
}

func simulate(cfg simConfig) simResult {
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &sim{cfg: cfg, rng: rand.New(rand.NewPCG(1, 2)), slots: cfg.slots}
	lc := cfg.limiter
	lc.Clock = func() time.Time { return epoch.Add(s.now) }
	s.lim = NewLimiter(lc)
	s.bat = NewBatcher(cfg.batch, 0, 0, 0)
	s.idle = s.lim.Max()
	secs := int(cfg.duration / time.Second)
	s.res = simResult{
		busy: make([]time.Duration, secs+1), capacity: make([]time.Duration, secs),
		limMin: make([]int, secs), limMax: make([]int, secs), batch: make([]int, secs), rejected: make([]int, secs),
	}
	for _, c := range cfg.changes {
		s.push(c.at, simEvent{kind: evSlots, slots: c.slots})
	}
	slots := cfg.slots
	for i := range secs {
		for _, c := range cfg.changes {
			if c.at <= time.Duration(i)*time.Second {
				slots = c.slots
			}
		}
		s.res.capacity[i] = time.Duration(slots) * time.Second
		s.res.limMin[i] = 1 << 30
	}
	s.dispatch()
	for s.events.Len() > 0 {
		e := heap.Pop(&s.events).(simEvent)
		if e.at >= cfg.duration {
			break
		}
		s.now = e.at
		s.handle(e)
		sec := int(s.now / time.Second)
		l := s.lim.Limit()
		s.res.limMin[sec] = min(s.res.limMin[sec], l)
		s.res.limMax[sec] = max(s.res.limMax[sec], l)
		s.res.batch[sec] = s.bat.Size()
	}
	for i := range secs { // seconds without events keep the previous figures
		if i > 0 && s.res.limMax[i] == 0 {
			s.res.limMin[i], s.res.limMax[i], s.res.batch[i] = s.res.limMin[i-1], s.res.limMax[i-1], s.res.batch[i-1]
		}
	}
	s.res.busy = s.res.busy[:secs]
	return s.res
}

func (s *sim) push(at time.Duration, e simEvent) {
	s.seq++
	e.at, e.seq = at, s.seq
	heap.Push(&s.events, e)
}

func (s *sim) handle(e simEvent) {
	switch e.kind {
	case evArrive:
		if s.cfg.queue > 0 && s.pending >= s.cfg.queue {
			e.req.outcome = Busy
			s.res.rejected[int(s.now/time.Second)]++
			s.push(s.now+s.cfg.net, simEvent{kind: evRespond, req: e.req})
			return
		}
		s.pending++
		s.lockQ = append(s.lockQ, e.req)
		s.lock()
	case evLockDone:
		s.lockBusy = false
		s.slotQ = append(s.slotQ, e.req)
		s.fill()
		s.lock()
	case evDone:
		s.holding--
		s.fill()
		e.req.outcome = OK
		s.push(s.now+s.cfg.net, simEvent{kind: evRespond, req: e.req})
	case evRespond:
		smp := Sample{Latency: s.now - e.req.sent, Inputs: e.req.inputs, Outcome: e.req.outcome}
		s.lim.Release(smp)
		s.bat.Observe(smp)
		if e.req.outcome == Busy { // the engine's busy backoff: up to 100 ms
			s.push(s.now+time.Duration(s.rng.Int64N(int64(100*time.Millisecond))), simEvent{kind: evWake, req: e.req})
		} else {
			s.idle++
		}
		s.dispatch()
	case evWake:
		s.ready = append(s.ready, e.req.inputs)
		s.dispatch()
	case evSlots:
		s.slots = e.slots
		s.fill()
	}
}

// dispatch sends batches while the limiter allows: the workers blocked in
// Acquire in the engine.
func (s *sim) dispatch() {
	for s.lim.InFlight() < s.lim.Limit() && (s.idle > 0 || len(s.ready) > 0) {
		var n int
		if len(s.ready) > 0 {
			n, s.ready = s.ready[0], s.ready[1:]
		} else {
			s.idle--
			n = s.bat.Size()
		}
		if err := s.lim.Acquire(context.Background()); err != nil {
			panic(err)
		}
		s.res.requests++
		s.push(s.now+s.cfg.net, simEvent{kind: evArrive, req: &simReq{inputs: n, sent: s.now}})
	}
}

func (s *sim) lock() {
	if s.lockBusy || len(s.lockQ) == 0 {
		return
	}
	r := s.lockQ[0]
	s.lockQ = s.lockQ[1:]
	s.lockBusy = true
	s.push(s.now+s.cfg.perRequest, simEvent{kind: evLockDone, req: r})
}

func (s *sim) fill() {
	for s.holding < s.slots && len(s.slotQ) > 0 {
		r := s.slotQ[0]
		s.slotQ = s.slotQ[1:]
		s.pending--
		s.holding++
		f := 1 + s.cfg.jitter*(2*s.rng.Float64()-1)
		hold := time.Duration(float64(time.Duration(r.inputs)*s.cfg.perInput) * f)
		s.addBusy(s.now, s.now+hold)
		s.push(s.now+hold, simEvent{kind: evDone, req: r})
	}
}

func (s *sim) addBusy(from, to time.Duration) {
	for from < to {
		sec := int(from / time.Second)
		if sec >= len(s.res.busy) {
			return
		}
		end := min(to, time.Duration(sec+1)*time.Second)
		s.res.busy[sec] += end - from
		from = end
	}
}

// util is the slots' utilisation over seconds [from, to).
func (r simResult) util(from, to int) float64 {
	var busy, capacity time.Duration
	for i := from; i < to; i++ {
		busy += r.busy[i]
		capacity += r.capacity[i]
	}
	return float64(busy) / float64(capacity)
}

// reached is the first second from which two seconds run at ≥ u, or -1.
func (r simResult) reached(u float64) int {
	for i := 0; i+2 <= len(r.busy); i++ {
		if r.util(i, i+2) >= u {
			return i
		}
	}
	return -1
}

// limits is the limit's range over seconds [from, to).
func (r simResult) limits(from, to int) (lo, hi int) {
	lo = 1 << 30
	for i := from; i < to; i++ {
		lo, hi = min(lo, r.limMin[i]), max(hi, r.limMax[i])
	}
	return lo, hi
}

func (r simResult) rejections(from, to int) (n int) {
	for i := from; i < to; i++ {
		n += r.rejected[i]
	}
	return n
}

// firstSecond is the first second from which f holds, or -1.
func (r simResult) firstSecond(from int, f func(i int) bool) int {
	for i := from; i < len(r.busy); i++ {
		if f(i) {
			return i
		}
	}
	return -1
}

// summary is a one-line account of seconds [from, to).
func (r simResult) summary(from, to int) string {
	lo, hi := r.limits(from, to)
	return fmt.Sprintf("util %.3f, limit %d..%d, batch %d, 503s %d", r.util(from, to), lo, hi, r.batch[to-1], r.rejections(from, to))
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// BenchmarkSimulation reports the utilisation salvo's defaults reach on the
// target server (4 slots, 20 ms per input, 10 ms per request) over a
// simulated minute, and what ten single-text requests in flight reach.
func BenchmarkSimulation(b *testing.B) {
	for _, bc := range []struct {
		name  string
		lim   LimiterConfig
		batch int
	}{
		{"auto", LimiterConfig{}, 0},
		{"fixed10x1", LimiterConfig{Fixed: 10}, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var r simResult
			for b.Loop() {
				r = simulate(simConfig{slots: 4, perInput: ms(20), perRequest: ms(10), jitter: 0.2,
					net: ms(1) / 2, duration: time.Minute, limiter: bc.lim, batch: bc.batch})
			}
			b.ReportMetric(r.util(0, 60), "util")
		})
	}
}

// BenchmarkLimiter is the cost of an Acquire and a Release.
func BenchmarkLimiter(b *testing.B) {
	for _, fixed := range []int{0, 8} {
		b.Run(fmt.Sprintf("fixed=%d", fixed), func(b *testing.B) {
			l := NewLimiter(LimiterConfig{Fixed: fixed, Initial: 8})
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Acquire(ctx); err != nil {
						b.Error(err)
						return
					}
					l.Release(Sample{Latency: time.Millisecond, Inputs: 16, Outcome: OK})
				}
			})
		})
	}
}
