package ollamatest

import (
	"context"
	"sync"
	"testing"
	"time"
)

const one = `{"model":"nomic-embed-text","input":["a"]}`

// send posts body in the background and returns the channel of its answer.
func send(ctx context.Context, s *Server, path, body string) <-chan reply {
	ch := make(chan reply, 1)
	go func() {
		r, err := callErr(ctx, "POST", s.URL()+path, body)
		if err != nil {
			r.status = -1
		}
		ch <- r
	}()
	return ch
}

func await(t *testing.T, s *Server, what string, cond func(Stats) bool) {
	t.Helper()
	if err := s.Await(testCtx(t), cond); err != nil {
		t.Fatalf("waiting for %s: %v; stats %+v", what, err, s.Stats())
	}
}

func TestQueueLimit(t *testing.T) {
	for _, path := range []string{"/api/embed", "/api/embeddings", "/v1/embeddings"} {
		t.Run(path, func(t *testing.T) {
			s := New(Config{Slots: 1, QueueLimit: 2, Dims: 4})
			defer s.Close()
			body := one
			if path == "/api/embeddings" {
				body = `{"model":"nomic-embed-text","prompt":"a"}`
			}
			release := s.Gate()
			a := send(testCtx(t), s, path, body)
			await(t, s, "one request in the slot", func(st Stats) bool { return st.Holding == 1 })
			b := send(testCtx(t), s, path, body)
			c := send(testCtx(t), s, path, body)
			await(t, s, "two waiting", func(st Stats) bool { return st.Pending == 2 })

			r := post(t, s, path, body)
			if r.status != 503 {
				t.Fatalf("request beyond the queue: %d %s", r.status, r.body)
			}
			if path == "/v1/embeddings" {
				if e := decode[openAIError](t, r); e.Error.Message != MsgBusy {
					t.Errorf("503 body %s", r.body)
				}
			} else if errorOf(t, r) != MsgBusy {
				t.Errorf("503 body %s", r.body)
			}
			release()
			for _, ch := range []<-chan reply{a, b, c} {
				if r := <-ch; r.status != 200 {
					t.Errorf("queued request: %d %s", r.status, r.body)
				}
			}
			st := s.Stats()
			if st.Rejected503 != 1 || st.MaxPending != 2 || st.MaxInFlight != 4 || st.Requests != 4 || st.Embedded != 3 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestSlotsRunInParallel(t *testing.T) {
	s := New(Config{Slots: 2})
	defer s.Close()
	release := s.Gate()
	var answers []<-chan reply
	for range 3 {
		answers = append(answers, send(testCtx(t), s, "/api/embed", one))
	}
	await(t, s, "two slots held, one waiting", func(st Stats) bool { return st.Holding == 2 && st.Pending == 1 })
	release()
	for _, ch := range answers {
		if r := <-ch; r.status != 200 {
			t.Errorf("got %d", r.status)
		}
	}
	await(t, s, "all slots free", func(st Stats) bool { return st.Holding == 0 && st.InFlight == 0 })
}

func TestCanceledWhileWaitingFreesItsPlace(t *testing.T) {
	s := New(Config{Slots: 1, QueueLimit: 1})
	defer s.Close()
	release := s.Gate()
	defer release()
	a := send(testCtx(t), s, "/api/embed", one)
	await(t, s, "a in the slot", func(st Stats) bool { return st.Holding == 1 })
	ctx, cancel := context.WithCancel(testCtx(t))
	b := send(ctx, s, "/api/embed", one)
	await(t, s, "b waiting", func(st Stats) bool { return st.Pending == 1 })
	cancel()
	<-b
	await(t, s, "b gone", func(st Stats) bool { return st.Pending == 0 && st.Canceled == 1 })
	c := send(testCtx(t), s, "/api/embed", one)
	await(t, s, "c waiting in b's place", func(st Stats) bool { return st.Pending == 1 })
	release()
	for _, ch := range []<-chan reply{a, c} {
		if r := <-ch; r.status != 200 {
			t.Errorf("got %d", r.status)
		}
	}
	if st := s.Stats(); st.Rejected503 != 0 {
		t.Errorf("rejected %d", st.Rejected503)
	}
}

func TestBusyTime(t *testing.T) {
	const cost, requests, inputs = 5 * time.Millisecond, 6, 4
	s := New(Config{Slots: 2, CostPerInput: cost, Dims: 8})
	defer s.Close()
	body := `{"model":"nomic-embed-text","input":["a","b","c","d"]}`
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			if r, err := callErr(testCtx(t), "POST", s.URL()+"/api/embed", body); err != nil || r.status != 200 {
				t.Errorf("got %d %v", r.status, err)
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	// Every input holds a slot for at least its cost, and two slots cannot
	// be busy for longer than twice the wall time: bounds that hold however
	// slowly a loaded machine schedules the server.
	want := requests * inputs * cost
	if st.BusyTime < want || st.BusyTime > time.Duration(st.Slots)*st.Wall() {
		t.Errorf("busy %v over %v of wall time with %d slots, want at least %v", st.BusyTime, st.Wall(), st.Slots, want)
	}
	u := st.Utilization(st.Wall())
	if u > 1 || u <= 0 {
		t.Errorf("utilization %.2f over %v with every request sent at once, want (0, 1]", u, st.Wall())
	}
	if st.Inputs != requests*inputs || st.Embedded != requests*inputs || st.MaxInFlight < 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestCostPerRequestIsSerial(t *testing.T) {
	const cost, n = 10 * time.Millisecond, 4
	s := New(Config{Slots: n, CostPerRequest: cost})
	defer s.Close()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { post(t, s, "/api/embed", one) })
	}
	wg.Wait()
	st := s.Stats()
	if st.Wall() < n*cost || st.RequestTime < n*cost {
		t.Errorf("wall %v, request time %v: %d requests paying %v each were not serial", st.Wall(), st.RequestTime, n, cost)
	}
}

func TestAwaitEndsWithContext(t *testing.T) {
	s := NewUnstarted(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Await(ctx, func(st Stats) bool { return st.Requests > 0 }); err != context.Canceled {
		t.Errorf("Await = %v, want context.Canceled", err)
	}
}

func TestUtilization(t *testing.T) {
	tests := []struct {
		st   Stats
		wall time.Duration
		want float64
	}{
		{Stats{Slots: 2, BusyTime: time.Second}, time.Second, 0.5},
		{Stats{Slots: 1, BusyTime: time.Second}, time.Second, 1},
		{Stats{Slots: 1, BusyTime: time.Second}, 0, 0},
		{Stats{Slots: 0, BusyTime: time.Second}, time.Second, 0},
	}
	for _, tc := range tests {
		if got := tc.st.Utilization(tc.wall); got != tc.want {
			t.Errorf("%+v over %v: %v, want %v", tc.st, tc.wall, got, tc.want)
		}
	}
}
