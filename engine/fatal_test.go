package engine_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// failingPuts is a store whose Put fails from call number from on.
type failingPuts struct {
	salvo.Store
	from  int32
	calls atomic.Int32
	items atomic.Int64 // the items of the Puts that succeeded
	// sent, when set, counts the requests sent; sentAtFail is its count
	// at the first failure.
	sent       func() int
	sentAtFail atomic.Int64
}

var errDiskFull = errors.New("disk I/O error: database or disk is full")

func (s *failingPuts) Put(ctx context.Context, coll string, entries []salvo.Entry, items []salvo.Item) error {
	if n := s.calls.Add(1); n >= s.from {
		if n == s.from && s.sent != nil {
			s.sentAtFail.Store(int64(s.sent()))
		}
		return errDiskFull
	}
	err := s.Store.Put(ctx, coll, entries, items)
	if err == nil {
		s.items.Add(int64(len(items)))
	}
	return err
}

// stopBound is how many requests a run may still send after its first fatal
// error: those in flight and those already holding a batch, with the small
// channel buffers between the stages. Far from the 500 a run would send if
// it went on.
const stopBound = 30

func TestStoreFailureStopsTheRun(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	cfg := e.config()
	cfg.BatchSize = 10
	st := &failingPuts{Store: e.st, from: 3, sent: e.srv.Requests}
	cfg.Store = st
	_, err := engine.Run(context.Background(), cfg, slices.Values(inputs(5000)))
	var fe *engine.FatalError
	if !errors.As(err, &fe) || !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want a fatal error wrapping the store's", err)
	}
	at := st.sentAtFail.Load()
	if n := e.srv.Requests(); int64(n)-at > stopBound || n >= 500 {
		t.Errorf("%d of 500 requests sent, %d of them after the store failed at its third write: the run should stop at once", n, int64(n)-at)
	}
	// A commit holds one batch, or several when they wait for the writer.
	if n, want := len(e.stored()), st.items.Load(); int64(n) != want || n < 20 || n%10 != 0 {
		t.Errorf("%d records stored, want the whole batches of the 2 commits before the failure (%d, at least 20)", n, want)
	}
}

func TestModelMissingOnOneHostStopsEveryHost(t *testing.T) {
	a := newEnv(t, ollamatest.Config{CostPerInput: 1e6}) // 10 ms a batch: slow next to a 404
	b := ollamatest.New(ollamatest.Config{Models: []string{"other-model"}})
	defer b.Close()
	cfg := a.config()
	cfg.BatchSize = 10
	cfg.Hosts = append(cfg.Hosts, bcHost(b, newEnvClient(t, b)))
	rep, err := engine.Run(context.Background(), cfg, slices.Values(inputs(5000)))
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want a model-not-found error", err)
	}
	if n := a.srv.Requests(); n > stopBound {
		t.Errorf("host a answered %d requests after host b lacked the model: every host should stop at once", n)
	}
	if got := int64(len(a.stored())); got != rep.Embedded {
		t.Errorf("%d records stored, report says %d: answers in flight should still be committed", got, rep.Embedded)
	}
}
