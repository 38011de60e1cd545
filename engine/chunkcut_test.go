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

// wideTokens stands for a server whose tokenizer counts 3 tokens a word
// (chunk.Estimate counts 2 for the test's words) and that truncates
// silently at its context: a text over it is cut to its first words, and
// counts as the whole context in prompt_eval_count.
type wideTokens struct {
	next salvo.Embedder
	ctx  int

	mu  sync.Mutex
	cut map[string][]float32 // the vector answered for each text it cut
}

func (w *wideTokens) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	sent := make([]string, len(texts))
	total := 0
	var cut []int
	for i, t := range texts {
		words := strings.Fields(t)
		n := 3*len(words) + 2
		sent[i] = t
		if n > w.ctx {
			sent[i], n = strings.Join(words[:(w.ctx-2)/3], " "), w.ctx
			cut = append(cut, i)
		}
		total += n
	}
	emb, err := w.next.Embed(ctx, sent)
	if err != nil {
		return nil, err
	}
	emb.PromptTokens = total
	w.mu.Lock()
	for _, i := range cut {
		w.cut[texts[i]] = slices.Clone(emb.Vectors[i])
	}
	w.mu.Unlock()
	return emb, nil
}

// TestChunkBatchedTruncationRecut: with truncation on, pieces whose
// estimate is too low are cut by the server inside a batch, where no
// single count says so; the batch's prompt_eval_count, above its
// estimate, makes the run send the pieces that may exceed the context
// alone, and a piece that does is cut again rather than kept cut short.
func TestChunkBatchedTruncationRecut(t *testing.T) {
	const ctxTokens = 64
	rng := rand.New(rand.NewPCG(21, 22))
	e := newEnv(t, ollamatest.Config{Words: true})
	wide := &wideTokens{next: e.client, ctx: ctxTokens, cut: map[string][]float32{}}
	cfg := e.config()
	cfg.ContextTokens = ctxTokens
	cfg.Key.Truncate = true
	cfg.Chunk = engine.ChunkAuto
	cfg.BatchSize = 32
	cfg.Hosts[0].Embedder = wide
	cfg.Hosts[0].Concurrency = 1
	in := []engine.Input{{ID: "long", Text: longDoc(rng, 6*ctxTokens), Where: "t:1"}}
	for i := range 10 {
		in = append(in, engine.Input{ID: string(rune('a' + i)), Text: longDoc(rng, 5), Where: "t:2"})
	}
	rep := e.run(cfg, in)
	if len(wide.cut) == 0 {
		t.Fatal("the server cut no piece: the test's texts are wrong")
	}
	lost := 0
	if err := e.st.EachChunk(context.Background(), e.coll, func(id string, c salvo.Chunk, v []float32) error {
		if cv, ok := wide.cut[in[0].Text[c.Start:c.End]]; ok && slices.Equal(cv, v) {
			lost++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if lost > 0 || rep.Failed != 0 || rep.Recut == 0 {
		t.Errorf("%d pieces stored with the vector of their text cut short by the server; %d failed, %d recut, %d truncated", lost, rep.Failed, rep.Recut, rep.Truncated)
	}
}
