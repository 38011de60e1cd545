package engine

import (
	"container/heap"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// A discrete-event simulation of an Ollama-like server driven by a limiter
// and a batcher, in simulated time: a minute of load runs in milliseconds
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
	seed       uint64
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
	requests       []int           // requests sent
}

type simReq struct {
	inputs  int
	sent    time.Duration
	outcome signal
	busy    int // 503s met so far
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
	bat    *batcher

	idle  int       // workers without a batch
	ready []*simReq // batches to send again after a 503

	slots, holding, pending int
	lockBusy                bool
	lockQ, slotQ            []*simReq

	res simResult
}

func simulate(cfg simConfig) simResult {
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 2)), slots: cfg.slots}
	lc := cfg.limiter
	lc.Clock = func() time.Time { return epoch.Add(s.now) }
	s.lim = NewLimiter(lc)
	s.bat = newBatcher(cfg.batch, 0, 0, 0)
	s.idle = s.lim.Max()
	secs := int(cfg.duration / time.Second)
	s.res = simResult{
		busy: make([]time.Duration, secs+1), capacity: make([]time.Duration, secs),
		limMin: make([]int, secs), limMax: make([]int, secs), batch: make([]int, secs), rejected: make([]int, secs), requests: make([]int, secs),
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
			e.req.outcome = signalBusy
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
		e.req.outcome = signalOK
		s.push(s.now+s.cfg.net, simEvent{kind: evRespond, req: e.req})
	case evRespond:
		smp := sample{Latency: s.now - e.req.sent, Inputs: e.req.inputs, Outcome: e.req.outcome}
		s.lim.Release(smp)
		s.bat.Observe(smp)
		if e.req.outcome == signalBusy { // the engine's busy backoff: 50 ms..2 s, full jitter
			e.req.busy++
			ceil := min(50*time.Millisecond<<min(e.req.busy, 6), 2*time.Second)
			s.push(s.now+time.Duration(s.rng.Int64N(int64(ceil))), simEvent{kind: evWake, req: e.req})
		} else {
			s.idle++
		}
		s.dispatch()
	case evWake:
		s.ready = append(s.ready, e.req)
		s.dispatch()
	case evSlots:
		s.slots = e.slots
		s.fill()
	}
}

// dispatch sends batches while the limiter allows: the workers blocked in
// Acquire in the engine.
func (s *sim) dispatch() {
	for (s.idle > 0 || len(s.ready) > 0) && s.lim.tryAcquire() {
		r := &simReq{}
		if len(s.ready) > 0 {
			r, s.ready = s.ready[0], s.ready[1:]
		} else {
			s.idle--
			r.inputs = s.bat.Size()
		}
		r.sent = s.now
		s.res.requests[int(s.now/time.Second)]++
		s.push(s.now+s.cfg.net, simEvent{kind: evArrive, req: r})
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

// settled reports whether the limit stayed within [lo, hi] for at least
// 90% of seconds [from, to): brief excursions, such as a probe or a step
// on noise that the next window takes back, are allowed.
func (r simResult) settled(from, to, lo, hi int) bool {
	out := 0
	for i := from; i < to; i++ {
		if r.limMin[i] < lo || r.limMax[i] > hi {
			out++
		}
	}
	return out*10 <= to-from
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

var simSeeds = flag.Int("simseeds", 0, "also run TestSimulation with this many other seeds and jitters")

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// TestSimulation checks the limiter and the batcher against simulated
// servers, each for a few simulated minutes.
func TestSimulation(t *testing.T) {
	const s = time.Second
	target := simConfig{slots: 4, perInput: ms(20), perRequest: ms(10), jitter: 0.2, net: ms(1) / 2, duration: 60 * s}
	cpu := simConfig{slots: 1, perInput: ms(50), perRequest: ms(20), jitter: 0.2, net: ms(1) / 2, duration: 60 * s}
	with := func(c simConfig, f func(*simConfig)) simConfig { f(&c); return c }
	tests := []struct {
		name  string
		cfg   simConfig
		check func(t *testing.T, r simResult) string
	}{
		{"4 slots, 20 ms/input, 10 ms/request", target, func(t *testing.T, r simResult) string {
			knee := r.firstSecond(0, func(i int) bool { return r.limMax[i] >= 4 })
			at := r.reached(0.97)
			if knee < 0 || knee > 20 || at < 0 || at > 20 {
				t.Errorf("limit ≥ 4 from %d s, 97%% busy from %d s; want both within 20 s", knee, at)
			} else if u := r.util(at, 60); u < 0.97 {
				t.Errorf("utilisation %.3f from %d s on, want ≥ 0.97", u, at)
			}
			if lo, hi := r.limits(30, 60); !r.settled(30, 60, 4, 7) {
				t.Errorf("limit %d..%d over the last 30 s, want mostly within 4..7", lo, hi)
			}
			return fmt.Sprintf("limit ≥ 4 at %d s, 97%% busy from %d s; 0-60 s: %s; settled: %s", knee, at, r.summary(0, 60), r.summary(30, 60))
		}},
		{"1 slot, like Ollama on a CPU", cpu, func(t *testing.T, r simResult) string {
			if lo, hi := r.limits(20, 60); !r.settled(20, 60, 1, 3) || hi > 4 {
				t.Errorf("limit %d..%d after 20 s, want mostly within 1..3, never above 4", lo, hi)
			}
			if u := r.util(10, 60); u < 0.95 {
				t.Errorf("utilisation %.3f after 10 s, want ≥ 0.95", u)
			}
			return fmt.Sprintf("0-60 s: %s; settled: %s", r.summary(0, 60), r.summary(20, 60))
		}},
		{"4 slots, then 2 from 60 s", with(target, func(c *simConfig) {
			c.duration, c.changes = 120*s, []simChange{{60 * s, 2}}
		}), func(t *testing.T, r simResult) string {
			down := r.firstSecond(60, func(i int) bool { return r.limMax[i] <= 4 })
			if lo, hi := r.limits(80, 120); !r.settled(80, 120, 1, 4) || hi > 6 {
				t.Errorf("limit %d..%d from 80 s, want mostly within 1..4 and never above 6 (limit ≤ 4 from %d s)", lo, hi, down)
			}
			if u := r.util(80, 120); u < 0.95 {
				t.Errorf("utilisation %.3f from 80 s, want ≥ 0.95", u)
			}
			return fmt.Sprintf("limit ≤ 4 from %d s; 80-120 s: %s", down, r.summary(80, 120))
		}},
		{"2 slots, then 4 from 60 s", with(target, func(c *simConfig) {
			c.slots, c.duration, c.changes = 2, 120*s, []simChange{{60 * s, 4}}
		}), func(t *testing.T, r simResult) string {
			up := r.firstSecond(60, func(i int) bool { return r.limMin[i] >= 5 })
			if up < 0 || up > 80 {
				t.Errorf("limit ≥ 5 from %d s, want by 80 s", up)
			}
			if u := r.util(80, 120); u < 0.97 {
				t.Errorf("utilisation %.3f from 80 s, want ≥ 0.97", u)
			}
			return fmt.Sprintf("0-60 s: %s; limit ≥ 5 from %d s; 80-120 s: %s", r.summary(0, 60), up, r.summary(80, 120))
		}},
		{"queue limit 2 (503 beyond)", with(target, func(c *simConfig) {
			c.queue, c.duration = 2, 120*s
		}), func(t *testing.T, r simResult) string {
			sent := 0
			for _, n := range r.requests[20:] {
				sent += n
			}
			if n := r.rejections(20, 120); n*100 > sent {
				t.Errorf("%d of %d requests answered 503 after 20 s, want ≤ 1%%", n, sent)
			}
			if u := r.util(20, 120); u < 0.95 {
				t.Errorf("utilisation %.3f after 20 s, want ≥ 0.95", u)
			}
			return fmt.Sprintf("0-20 s: %s; 20-120 s: %s", r.summary(0, 20), r.summary(20, 120))
		}},
		{"16 slots", with(target, func(c *simConfig) { c.slots, c.perInput, c.perRequest = 16, ms(5), ms(5) }), func(t *testing.T, r simResult) string {
			if u := r.util(10, 60); u < 0.97 {
				t.Errorf("utilisation %.3f after 10 s, want ≥ 0.97", u)
			}
			if lo, hi := r.limits(30, 60); !r.settled(30, 60, 12, 24) {
				t.Errorf("limit %d..%d over the last 30 s, want mostly within 12..24", lo, hi)
			}
			return fmt.Sprintf("0-60 s: %s; settled: %s", r.summary(0, 60), r.summary(30, 60))
		}},
		{"fast GPU: 2 ms/input", with(cpu, func(c *simConfig) { c.perInput = ms(2) }), func(t *testing.T, r simResult) string {
			if b := r.batch[59]; b != defaultBatchMax {
				t.Errorf("batch %d, want %d", b, defaultBatchMax)
			}
			if u := r.util(10, 60); u < 0.97 {
				t.Errorf("utilisation %.3f after 10 s, want ≥ 0.97", u)
			}
			return "settled: " + r.summary(20, 60)
		}},
		{"slow model: 1 s/input", with(cpu, func(c *simConfig) { c.perInput, c.duration = s, 300*s }), func(t *testing.T, r simResult) string {
			// Round trips take tens of seconds here, so settling takes minutes;
			// the single slot is busy all along.
			if b := r.batch[299]; b != defaultBatchMin {
				t.Errorf("batch %d, want %d", b, defaultBatchMin)
			}
			if lo, hi := r.limits(150, 300); !r.settled(150, 300, 1, 3) {
				t.Errorf("limit %d..%d, want mostly within 1..3", lo, hi)
			}
			if u := r.util(0, 300); u < 0.99 {
				t.Errorf("utilisation %.3f", u)
			}
			return "0-300 s: " + r.summary(0, 300)
		}},
		{"fixed: 10 single texts in flight", with(target, func(c *simConfig) { c.limiter.Fixed, c.batch = 10, 1 }), func(t *testing.T, r simResult) string {
			// The serial cost per request caps this at 50%: what salvo replaces.
			if u := r.util(0, 60); u < 0.45 || u > 0.55 {
				t.Errorf("utilisation %.3f, want about 0.5", u)
			}
			if lo, hi := r.limits(0, 60); lo != 10 || hi != 10 {
				t.Errorf("limit %d..%d, want 10", lo, hi)
			}
			return "0-60 s: " + r.summary(0, 60)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Log(tc.check(t, simulate(tc.cfg)))
			if seeds := *simSeeds; seeds > 0 {
				for seed := range uint64(seeds) {
					for _, j := range []float64{0, 0.1, 0.2, 0.3} {
						c := tc.cfg
						c.seed, c.jitter = seed+10, j
						t.Run(fmt.Sprintf("seed%d-jitter%.1f", seed, j), func(t *testing.T) { tc.check(t, simulate(c)) })
					}
				}
			}
		})
	}
}

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
					l.Release(sample{Latency: time.Millisecond, Inputs: 16, Outcome: signalOK})
				}
			})
		})
	}
}
