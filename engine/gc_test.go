package engine_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/sqlite"
)

// collectAfterLookup collects the store's garbage right after the first
// Lookup answers: the vectors that Lookup found cached are gone by the time
// the run stores the records that refer to them.
type collectAfterLookup struct {
	*sqlite.Store
	once      sync.Once
	collected salvo.Garbage
}

func (s *collectAfterLookup) Lookup(ctx context.Context, coll string, items []salvo.Item, out []salvo.Presence) error {
	err := s.Store.Lookup(ctx, coll, items, out)
	s.once.Do(func() { s.collected, _ = s.Store.Collect(ctx) })
	return err
}

// A garbage collection between a run's lookup and its write fails only the
// records whose cached vector it removed (the next run embeds them); the
// run goes on and stores the rest. Before, the run stopped with a fatal
// store error.
func TestCollectBetweenLookupAndPutFailsOnlyThoseRecords(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(4)
	e.run(e.config(), in)
	// Records 1 and 2 leave the collection: their vectors stay cached, and
	// unreferenced.
	if _, err := e.st.DeleteItems(context.Background(), e.coll, []string{"1", "2"}); err != nil {
		t.Fatal(err)
	}
	st := &collectAfterLookup{Store: e.st}
	cfg := e.config()
	cfg.Store = st
	rep, err := engine.Run(context.Background(), cfg, slices.Values(in))
	if err != nil {
		t.Fatalf("Run with a collection between lookup and write: %v", err)
	}
	if st.collected.Rows != 2 {
		t.Fatalf("the collection removed %d vectors, want 2", st.collected.Rows)
	}
	if rep.Failed != 2 {
		t.Errorf("report: %d failed, want 2 (the records whose vectors were collected)", rep.Failed)
	}
	fails := e.fails.list()
	if ids := e.fails.ids(); !slices.Equal(ids, []string{"1", "2"}) {
		t.Errorf("failed records %v, want [1 2]", ids)
	}
	for _, f := range fails {
		if f.Stage != engine.StageEmbed || !strings.Contains(f.Error, "garbage collection") {
			t.Errorf("failure %+v: want stage embed and the reason", f)
		}
	}
	// The next run embeds them again.
	rep = e.run(e.config(), in)
	if rep.Failed != 0 || rep.Embedded != 2 {
		t.Errorf("next run: %d embedded, %d failed; want 2 and 0", rep.Embedded, rep.Failed)
	}
	e.checkStored(in)
}
