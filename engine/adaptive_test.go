package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
)

// fakeClock is a limiter clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// waiting is the number of Acquire calls blocked on l.
func (l *Limiter) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters.Len()
}

// eventually spins until cond holds, failing the test after a few seconds:
// it waits for another goroutine to reach a state, without sleeping.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

func TestLimiterAcquireBlocksUntilRelease(t *testing.T) {
	l := NewLimiter(LimiterConfig{Fixed: 2})
	ctx := context.Background()
	for range 2 {
		if err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Three waiters, queued one after the other: they must be served in order.
	order := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := l.Acquire(ctx); err != nil {
				t.Error(err)
			}
			order <- i
		}()
		eventually(t, fmt.Sprintf("waiter %d queues", i), func() bool { return l.waiting() == i+1 })
	}
	if got := l.InFlight(); got != 2 {
		t.Fatalf("InFlight = %d with 3 waiters, want 2", got)
	}
	for want := range 3 {
		l.Release(sample{Outcome: signalOK})
		if got := <-order; got != want {
			t.Fatalf("waiter %d was served, want %d", got, want)
		}
	}
	if got, w := l.InFlight(), l.waiting(); got != 2 || w != 0 {
		t.Fatalf("InFlight = %d, waiting = %d; want 2 and 0", got, w)
	}
}

func TestLimiterAcquireCancelled(t *testing.T) {
	l := NewLimiter(LimiterConfig{Fixed: 1})
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Acquire(ctx) }()
	eventually(t, "the waiter queues", func() bool { return l.waiting() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire = %v, want context.Canceled", err)
	}
	if got, w := l.InFlight(), l.waiting(); got != 1 || w != 0 {
		t.Fatalf("after cancel: InFlight = %d, waiting = %d; want 1 and 0", got, w)
	}
	if err := l.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a done context = %v, want context.Canceled", err)
	}
	l.Release(sample{Outcome: signalDropped})
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
}

// TestLimiterCancelStorm races grants against cancellations (run with
// -race): whatever happens, no permit may be lost or counted twice.
func TestLimiterCancelStorm(t *testing.T) {
	for _, cfg := range []LimiterConfig{{Fixed: 3}, {Initial: 3}} {
		l := NewLimiter(cfg)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					ctx, cancel := context.WithCancel(context.Background())
					if (g+i)%3 == 0 {
						go cancel()
					}
					if err := l.Acquire(ctx); err == nil {
						if l.InFlight() > l.Limit() {
							t.Errorf("InFlight %d above Limit %d", l.InFlight(), l.Limit())
						}
						l.Release(sample{Outcome: signalDropped})
					}
					cancel()
				}
			})
		}
		wg.Wait()
		if got, w := l.InFlight(), l.waiting(); got != 0 || w != 0 {
			t.Errorf("%+v: InFlight = %d, waiting = %d after the storm; want 0 and 0", cfg, got, w)
		}
	}
}

func TestLimiterReleaseWithoutAcquirePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Release without Acquire did not panic")
		}
	}()
	NewLimiter(LimiterConfig{}).Release(sample{})
}

func TestLimiterFixedNeverChanges(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(LimiterConfig{Fixed: 3, Initial: 8, Max: 10, Clock: clk.now})
	if l.Max() != 3 {
		t.Fatalf("Max = %d, want 3 (workers for a fixed limit)", l.Max())
	}
	outcomes := []signal{signalOK, signalBusy, signalTimeout, signalFailed, signalDropped}
	for i := range 200 {
		for l.tryAcquire() {
		}
		if got := l.InFlight(); got != 3 {
			t.Fatalf("round %d: InFlight = %d, want 3", i, got)
		}
		clk.add(time.Second)
		lat := time.Duration(1+i%7) * time.Second // latencies all over the place
		l.Release(sample{Latency: lat, Inputs: 16, Outcome: outcomes[i%len(outcomes)]})
		if got := l.Limit(); got != 3 {
			t.Fatalf("round %d: Limit = %d, want 3", i, got)
		}
	}
}

func TestLimiterBacksOffOncePerRoundTrip(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(LimiterConfig{Initial: 8, Clock: clk.now})
	for l.tryAcquire() {
	}
	steps := []struct {
		name  string
		after time.Duration // clock advance before the release
		s     sample
		want  int
	}{
		// Sent before the window started: it only teaches a 1 s round trip.
		{"an answer", time.Second, sample{Latency: time.Second + 1, Inputs: 32, Outcome: signalOK}, 8},
		{"busy", 0, sample{Latency: time.Millisecond, Outcome: signalBusy}, 6},
		{"busy within the round trip", 100 * time.Millisecond, sample{Latency: time.Millisecond, Outcome: signalBusy}, 6},
		{"busy sent before the cut", time.Second, sample{Latency: 2 * time.Second, Outcome: signalBusy}, 6},
		{"failed says nothing", 0, sample{Latency: time.Millisecond, Outcome: signalFailed}, 6},
		{"dropped says nothing", 0, sample{Latency: time.Millisecond, Outcome: signalDropped}, 6},
		{"timeout a round trip later", 0, sample{Latency: 10 * time.Millisecond, Outcome: signalTimeout}, 4},
		{"busy again", 2 * time.Second, sample{Latency: time.Millisecond, Outcome: signalBusy}, 3},
	}
	for _, st := range steps {
		clk.add(st.after)
		l.Release(st.s)
		if got := l.Limit(); got != st.want {
			t.Fatalf("%s: Limit = %d, want %d", st.name, got, st.want)
		}
	}
	// The floor is Min.
	for range 5 {
		for l.tryAcquire() {
		}
		clk.add(2 * time.Second)
		l.Release(sample{Latency: time.Millisecond, Outcome: signalBusy})
	}
	if got := l.Limit(); got != defaultLimitMin {
		t.Fatalf("after many 503s: Limit = %d, want %d", got, defaultLimitMin)
	}
}

// TestLimiterGrowsWhenUnderloaded runs rounds against a server that never
// queues: every request sent at once answers after the same time.
func TestLimiterGrowsWhenUnderloaded(t *testing.T) {
	tests := []struct {
		name   string
		cfg    LimiterConfig
		use    int // requests the caller has to send per round; 0 = as many as allowed
		rounds int
		want   int
	}{
		{"slow start to the default max", LimiterConfig{}, 0, 6, defaultLimitMax},
		{"stops at Max", LimiterConfig{Max: 12}, 0, 6, 12},
		{"starts at Initial", LimiterConfig{Initial: 5, Max: 100}, 0, 2, 10},
		{"no growth when the caller has less to send", LimiterConfig{}, 1, 10, defaultLimitInitial},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			tc.cfg.Clock = clk.now
			l := NewLimiter(tc.cfg)
			prev := l.Limit()
			for r := range tc.rounds {
				n := 0
				for (tc.use == 0 || n < tc.use) && l.tryAcquire() {
					n++
				}
				clk.add(time.Second)
				for range n {
					l.Release(sample{Latency: time.Second, Inputs: 32, Outcome: signalOK})
				}
				if got := l.Limit(); got < prev || got > l.Max() {
					t.Fatalf("round %d: Limit went from %d to %d (Max %d)", r, prev, got, l.Max())
				}
				prev = l.Limit()
			}
			if prev != tc.want {
				t.Errorf("Limit = %d after %d rounds, want %d", prev, tc.rounds, tc.want)
			}
		})
	}
}

func TestOutcomeOf(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	tests := []struct {
		ctx  context.Context
		err  error
		want signal
	}{
		{live, nil, signalOK},
		{live, &salvo.StatusError{StatusCode: 503}, signalBusy},
		{live, fmt.Errorf("host: %w", &salvo.StatusError{StatusCode: 429}), signalBusy},
		{live, fmt.Errorf("no answer within 2m0s: %w", context.DeadlineExceeded), signalTimeout},
		{live, &salvo.StatusError{StatusCode: 500}, signalFailed},
		{live, errors.New("connection refused"), signalFailed},
		{cancelled, context.Canceled, signalDropped},
		{cancelled, &salvo.StatusError{StatusCode: 503}, signalDropped},
	}
	for _, tc := range tests {
		if got := outcomeOf(tc.ctx, tc.err); got != tc.want {
			t.Errorf("outcomeOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestBatcher(t *testing.T) {
	ok := func(perInput time.Duration, n int) sample {
		return sample{Latency: perInput * time.Duration(n), Inputs: n, Outcome: signalOK}
	}
	tests := []struct {
		name                   string
		fixed, initial, lo, hi int
		perInput               time.Duration
		outcome                signal
		samples                int
		want                   []int // size after each batchEvery samples
		wantStart              int
	}{
		{name: "fixed wins", fixed: 50, perInput: time.Millisecond, samples: 40, wantStart: 50, want: []int{50, 50, 50, 50, 50}},
		{name: "fast inputs grow it to the max", perInput: time.Millisecond, samples: 40, wantStart: 32, want: []int{64, 128, 256, 256, 256}},
		{name: "CPU Ollama keeps 32", perInput: 100 * time.Millisecond, samples: 40, wantStart: 32, want: []int{32, 32, 32, 32, 32}},
		{name: "20 ms inputs settle at 64", perInput: 20 * time.Millisecond, samples: 24, wantStart: 32, want: []int{64, 64, 64}},
		{name: "errors say nothing", perInput: time.Millisecond, outcome: signalBusy, samples: 16, wantStart: 32, want: []int{32, 32}},
		{name: "bounds", initial: 500, lo: 8, hi: 100, perInput: time.Microsecond, samples: 8, wantStart: 100, want: []int{100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBatcher(tc.fixed, tc.initial, tc.lo, tc.hi)
			if got := b.Size(); got != tc.wantStart {
				t.Fatalf("initial Size = %d, want %d", got, tc.wantStart)
			}
			var got []int
			for i := range tc.samples {
				s := ok(tc.perInput, b.Size())
				s.Outcome = tc.outcome
				b.Observe(s)
				if (i+1)%batchEvery == 0 {
					got = append(got, b.Size())
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("sizes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBatcherShrinksAtOnceForSlowModels(t *testing.T) {
	b := newBatcher(0, 0, 0, 0)
	var got []int
	for range 3 { // a second per input: each answer alone is evidence enough
		b.Observe(sample{Latency: time.Duration(b.Size()) * time.Second, Inputs: b.Size(), Outcome: signalOK})
		got = append(got, b.Size())
	}
	if fmt.Sprint(got) != "[16 8 8]" {
		t.Errorf("sizes = %v, want [16 8 8]", got)
	}
}

// TestLimiterAgainstOllamatest drives a real test server from real worker
// goroutines for two seconds: the server's own accounting must show its
// slots busy.
// driveOllamatest runs an adaptive limiter's workers against a real
// ollamatest server (4 slots, 2 ms per input, 1 ms serial per request) for
// d, and returns the server's stats and the final limit.
func driveOllamatest(tb testing.TB, d time.Duration) (ollamatest.Stats, int) {
	srv := ollamatest.New(ollamatest.Config{Slots: 4, CostPerInput: 2 * time.Millisecond, CostPerRequest: time.Millisecond, Dims: 8})
	defer srv.Close()
	client, err := ollama.New(srv.URL(), ollama.Options{Model: ollamatest.DefaultModel, API: ollama.APIEmbed})
	if err != nil {
		tb.Fatal(err)
	}
	texts := make([]string, 16)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i)
	}
	l := NewLimiter(LimiterConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range l.Max() {
		wg.Go(func() {
			for l.Acquire(ctx) == nil {
				start := time.Now()
				_, err := client.Embed(ctx, texts)
				out := outcomeOf(ctx, err)
				l.Release(sample{Latency: time.Since(start), Inputs: len(texts), Outcome: out})
				if out == signalFailed {
					tb.Errorf("Embed: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	return srv.Stats(), l.Limit()
}

// The limiter keeps a real server's queue short. How busy it keeps the
// slots is a benchmark (BenchmarkLimiterAgainstOllamatest), not a test:
// real time on a shared machine is too noisy to assert.
func TestLimiterAgainstOllamatest(t *testing.T) {
	if testing.Short() {
		t.Skip("real time: skipped with -short")
	}
	st, limit := driveOllamatest(t, 2*time.Second)
	t.Logf("utilisation %.3f over %v, %d requests, limit %d, most in flight at the server %d, 503s %d",
		st.Utilization(st.Wall()), st.Wall().Round(time.Millisecond), st.Requests, limit, st.MaxInFlight, st.Rejected503)
	if st.Requests == 0 || st.Rejected503 != 0 {
		t.Errorf("%d requests, %d rejected", st.Requests, st.Rejected503)
	}
	if st.MaxInFlight > 16 {
		t.Errorf("up to %d requests at the server with 4 slots: the limiter piles up requests", st.MaxInFlight)
	}
}

// BenchmarkLimiterAgainstOllamatest reports the slot utilisation the
// adaptive limiter reaches against a real server in 3 s of real time.
func BenchmarkLimiterAgainstOllamatest(b *testing.B) {
	for b.Loop() {
		st, limit := driveOllamatest(b, 3*time.Second)
		b.ReportMetric(st.Utilization(st.Wall()), "utilisation")
		b.ReportMetric(float64(limit), "limit")
	}
}
