package engine_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// countStore keeps no vector: it checks what it is given and counts it,
// so that the run's own memory can be measured.
type countStore struct {
	mu      sync.Mutex
	records map[string]int // pieces covered so far, by record
	whole   int
	pieces  int
	bad     []string
	peak    uint64 // the highest heap seen at a Put
	dims    int
}

func (s *countStore) OpenCollection(_ context.Context, c salvo.Collection) (*salvo.Collection, error) {
	return &c, nil
}

func (s *countStore) Lookup(_ context.Context, _ string, items []salvo.Item, out []salvo.Presence) error {
	clear(out[:len(items)]) // all Missing
	return nil
}

func (s *countStore) Put(_ context.Context, _ string, entries []salvo.Entry, items []salvo.Item) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peak = max(s.peak, ms.HeapAlloc)
	for _, e := range entries {
		if len(e.Vector) != s.dims {
			s.bad = append(s.bad, fmt.Sprintf("a vector of %d", len(e.Vector)))
		}
	}
	for _, it := range items {
		if it.Chunk == nil {
			s.whole++
			continue
		}
		s.pieces++
		if it.Chunk.Index == 0 && it.Chunk.Start != 0 || it.Chunk.Start >= it.Chunk.End {
			s.bad = append(s.bad, fmt.Sprintf("%s: piece %+v", it.ID, *it.Chunk))
		}
		s.records[it.ID]++
		if s.records[it.ID] == it.Chunk.Count {
			delete(s.records, it.ID) // every piece stored
		}
	}
	return nil
}

func (s *countStore) Collections(context.Context) ([]salvo.Collection, error) { return nil, nil }
func (s *countStore) Each(context.Context, string, func(string, []float32) error) error {
	return nil
}
func (s *countStore) Close() error { return nil }

// corpus yields n documents of varied lengths, a fifth of them within the
// context, the rest up to 6 contexts of words, made as they are read.
func corpus(n, ctxTokens int) iter.Seq[engine.Input] {
	return func(yield func(engine.Input) bool) {
		rng := rand.New(rand.NewPCG(7, 8))
		for i := range n {
			words := 1 + rng.IntN(ctxTokens/2)
			if i%5 != 0 {
				words = ctxTokens + rng.IntN(5*ctxTokens)
			}
			if !yield(engine.Input{ID: fmt.Sprint("doc", i), Text: longDoc(rng, words), Where: fmt.Sprint("corpus:", i+1)}) {
				return
			}
		}
	}
}

func runCorpus(t *testing.T, n int) (*engine.Report, *countStore) {
	const ctxTokens = 64
	srv := ollamatest.New(ollamatest.Config{ContextTokens: ctxTokens, Dims: 8})
	t.Cleanup(srv.Close)
	st := &countStore{records: map[string]int{}, dims: 8}
	rep, err := engine.Run(context.Background(), engine.Config{
		Hosts:         []engine.Host{{Name: srv.URL(), Embedder: newEnvClient(t, srv), Concurrency: 4}},
		Store:         st,
		Collection:    "c",
		Key:           salvo.KeySpec{Model: model, Truncate: true},
		ContextTokens: ctxTokens,
		Chunk:         engine.ChunkAuto,
		BatchSize:     64,
	}, corpus(n, ctxTokens))
	if err != nil {
		t.Fatal(err)
	}
	return rep, st
}

// TestChunkCorpus: 6,000 generated documents of varied lengths, most of
// them longer than the context: every text is embedded whole (each
// record's pieces all stored), none truncated, and the run's memory does
// not grow with the number of documents (pieces are streamed).
func TestChunkCorpus(t *testing.T) {
	const n = 6000
	rep, st := runCorpus(t, n)
	if rep.Truncated != 0 || rep.Failed != 0 || rep.Embedded != n {
		t.Fatalf("%d truncated, %d failed, %d embedded; want 0, 0, %d", rep.Truncated, rep.Failed, rep.Embedded, n)
	}
	if len(st.bad) > 0 || len(st.records) != 0 {
		t.Fatalf("bad pieces %v; records with pieces missing: %d", st.bad, len(st.records))
	}
	if rep.Chunked < n*3/4 || int64(st.whole) != n-rep.Chunked || int64(st.pieces) != rep.Pieces {
		t.Fatalf("%d chunked into %d pieces, %d whole; the store got %d whole, %d pieces", rep.Chunked, rep.Pieces, n-rep.Chunked, st.whole, st.pieces)
	}
	_, small := runCorpus(t, n/6)
	if st.peak > 2*small.peak+16<<20 {
		t.Fatalf("peak heap %d MB for %d documents, %d MB for %d: memory grows with the corpus", st.peak>>20, n, small.peak>>20, n/6)
	}
}
