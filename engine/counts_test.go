package engine_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// stallOnce answers every request with the server's vectors, except the
// one whose texts include stall: that one waits until the run is cancelled.
type stallOnce struct {
	stall   string
	next    salvo.Embedder
	stalled chan struct{}
	once    sync.Once
}

func (s *stallOnce) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	if slices.Contains(texts, s.stall) {
		s.once.Do(func() { close(s.stalled) })
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.next.Embed(ctx, texts)
}

// An interrupted run counts only what it stored: duplicates waiting for a
// request that never completed are not "cached", so embedded + cached is
// what the collection holds.
func TestInterruptedCountsMatchTheStore(t *testing.T) {
	e := newEnv(t, ollamatest.Config{Dims: 8})
	in := inputs(8) // one batch, answered and committed
	stuck := engine.Input{ID: "s1", Text: "a text whose request never ends", Where: "m.jsonl:9"}
	in = append(in, stuck)
	for i := 2; i <= 4; i++ { // duplicates of it under other IDs
		in = append(in, engine.Input{ID: "s" + string(rune('0'+i)), Text: stuck.Text, Where: "m.jsonl:1" + string(rune('0'+i))})
	}
	emb := &stallOnce{stall: stuck.Text, next: e.client, stalled: make(chan struct{})}
	cfg := e.config()
	cfg.Hosts = []engine.Host{{Name: "stall", Embedder: emb, Concurrency: 2}}
	cfg.Counters = new(engine.Counters)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var rep *engine.Report
	var err error
	go func() {
		defer close(done)
		rep, err = engine.Run(ctx, cfg, slices.Values(in))
	}()
	<-emb.stalled
	// Cancel once the first batch is stored, so that there is something
	// to count on both sides.
	for cfg.Counters.Embedded.Load() < 8 {
		select {
		case <-done:
			t.Fatalf("the run ended before the interruption: %v", err)
		default:
		}
		runtime.Gosched()
	}
	cancel()
	<-done
	if !errors.Is(err, engine.ErrInterrupted) {
		t.Fatalf("Run: %v, want ErrInterrupted", err)
	}
	stored := len(e.stored())
	if rep.Embedded+rep.Cached != int64(stored) || stored != 8 {
		t.Errorf("report says %d embedded + %d cached; the store holds %d (want 8)", rep.Embedded, rep.Cached, stored)
	}
	if c := cfg.Counters; c.Embedded.Load()+c.Cached.Load() != int64(stored) {
		t.Errorf("live counters say %d embedded + %d cached; the store holds %d", c.Embedded.Load(), c.Cached.Load(), stored)
	}
}
