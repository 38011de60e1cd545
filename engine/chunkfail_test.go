package engine_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// TestChunkFailedCountsRecords: a long record two of whose pieces fail is
// one failed record, with one line in the failures file, and is not also
// counted embedded; the pieces that succeeded stay cached, so the next run
// sends only the failed ones.
func TestChunkFailedCountsRecords(t *testing.T) {
	const ctxTokens = 64
	rng := rand.New(rand.NewPCG(5, 6))
	e := newEnv(t, ollamatest.Config{ContextTokens: ctxTokens, Words: true})
	cfg := e.config()
	cfg.ContextTokens = ctxTokens
	cfg.Chunk = engine.ChunkAuto
	cfg.Retries = 1
	cfg.Failures = e.fails
	var (
		mu     sync.Mutex
		failed = map[string]bool{} // texts refused alone
	)
	cfg.Hosts[0].Embedder = embedFunc(func(ctx context.Context, texts []string) (*salvo.Embedding, error) {
		for _, s := range texts {
			if strings.Contains(s, "POISON") {
				if len(texts) == 1 {
					mu.Lock()
					failed[s] = true
					mu.Unlock()
				}
				return nil, &salvo.StatusError{StatusCode: 504, Message: "gateway timeout", Endpoint: "proxy"}
			}
		}
		return e.client.Embed(ctx, texts)
	})
	poisoned := longDoc(rng, 2*ctxTokens) + " POISON. " + longDoc(rng, 5*ctxTokens) + " POISON. " + longDoc(rng, 2*ctxTokens)
	in := []engine.Input{
		{ID: "a", Text: poisoned, Where: "t:1"},
		{ID: "b", Text: longDoc(rng, 6*ctxTokens), Where: "t:2"},
		{ID: "c", Text: "a short one", Where: "t:3"},
	}
	rep, err := engine.Run(context.Background(), cfg, slices.Values(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) < 2 {
		t.Fatalf("%d pieces failed, want at least 2 (the test's text is wrong)", len(failed))
	}
	if rep.Failed != 1 || rep.Embedded != 2 || rep.Chunked != 2 {
		t.Errorf("report: %d failed, %d embedded, %d chunked; want 1 record failed (of %d pieces), 2 embedded, 2 chunked", rep.Failed, rep.Embedded, rep.Chunked, len(failed))
	}
	if fs := e.fails.list(); len(fs) != 1 || fs[0].ID != "a" || fs[0].Where != "t:1" || !strings.Contains(fs[0].Error, "504") {
		t.Errorf("failures: %+v, want one line for record a", fs)
	}
	// The next run, with a server that answers: only the failed pieces
	// are sent.
	e.srv.Reset()
	cfg.Hosts[0].Embedder = e.client
	rep = e.run(cfg, in)
	if sent := e.srv.Inputs(); sent != len(failed) || rep.Embedded != 1 || rep.Unchanged != 2 || rep.Failed != 0 {
		t.Errorf("next run: %d texts sent (want the %d failed pieces), %d embedded, %d unchanged, %d failed", sent, len(failed), rep.Embedded, rep.Unchanged, rep.Failed)
	}
}
