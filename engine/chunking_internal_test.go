package engine

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	textchunk "github.com/salvoembed/salvo/chunk"
	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

// TestPieceBudgetLearnsRatio: pieces are sized by the estimate alone while
// the server counts fewer tokens than estimated, and shrink for the rest of
// the run once it counts more.
func TestPieceBudgetLearnsRatio(t *testing.T) {
	r := newRun(Config{Chunk: ChunkAuto, ContextTokens: 100})
	if b := r.pieceBudget(); b != 98 {
		t.Fatalf("budget %d, want the context less 2 special tokens, 98", b)
	}
	texts := []string{strings.Repeat("abc ", 50), strings.Repeat("xyz ", 50)} // 50 tokens each by the estimate
	est := 2 * (textchunk.Estimate(texts[0]) + specialTokens)
	r.learnRatio(texts, est/2) // fewer than estimated: no change
	if b := r.pieceBudget(); b != 98 {
		t.Fatalf("budget %d after a batch counted below the estimate, want 98", b)
	}
	r.learnRatio(texts[:1], 1000)   // a single text at the context: it was cut, says nothing
	r.learnRatio([]string{"a"}, 50) // too small to say anything
	if b := r.pieceBudget(); b != 98 {
		t.Fatalf("budget %d after answers that say nothing, want 98", b)
	}
	r.learnRatio(texts, 2*est) // twice the estimate
	if b := r.pieceBudget(); b != 49 {
		t.Fatalf("budget %d after a batch counted at twice the estimate, want 49", b)
	}
	r.learnRatio(texts, est) // a lower ratio later does not undo it
	if b := r.pieceBudget(); b != 49 {
		t.Fatalf("budget %d, want 49 kept", b)
	}
	if b := newRun(Config{Chunk: 30, ContextTokens: 100}).pieceBudget(); b != 30 {
		t.Fatalf("Chunk 30: budget %d", b)
	}
	if b := newRun(Config{Chunk: 300, ContextTokens: 100}).pieceBudget(); b != 98 {
		t.Fatalf("Chunk 300 with a context of 100: budget %d, want 98", b)
	}
	if b := newRun(Config{Chunk: ChunkAuto}).pieceBudget(); b != 0 {
		t.Fatalf("auto without a known context: budget %d, want 0 (no cut)", b)
	}
}

// learnRatioWhole is learnRatio as it was, estimating every text of the
// batch.
func learnRatioWhole(r *run, texts []string, promptTokens int) {
	if r.cfg.Chunk == 0 || promptTokens <= 0 || len(texts) == 1 && promptTokens >= r.cfg.ContextTokens && r.cfg.ContextTokens > 0 {
		return
	}
	est := 0
	for _, t := range texts {
		est += textchunk.Estimate(t) + specialTokens
	}
	if est >= 64 {
		r.raiseRatio(float64(promptTokens) / float64(est))
	}
}

// movieTexts are n generated movie records.
func movieTexts(tb testing.TB, n int) []string {
	var buf bytes.Buffer
	if err := moviegen.Generate(7, n, &buf); err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(buf.String()), "\n")
}

// learnRatio stops estimating a batch once it can not raise the ratio;
// pieces are cut as when it read the whole batch, batch after batch.
func TestLearnRatioStopsEarly(t *testing.T) {
	texts := movieTexts(t, 200)
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		cfg := Config{Chunk: ChunkAuto, ContextTokens: 64 + rnd.IntN(4096)}
		got, want := newRun(cfg), newRun(cfg)
		for i := range 50 {
			batch := texts[rnd.IntN(len(texts)):]
			batch = batch[:rnd.IntN(len(batch))+1]
			for j := range batch {
				if rnd.IntN(4) == 0 {
					batch[j] = batch[j][:rnd.IntN(len(batch[j])+1)]
				}
			}
			est := 0
			for _, t := range batch {
				est += textchunk.Estimate(t) + specialTokens
			}
			tokens := rnd.IntN(2*est + 2)
			got.learnRatio(batch, tokens)
			learnRatioWhole(want, batch, tokens)
			if g, w := got.pieceBudget(), want.pieceBudget(); g != w {
				t.Fatalf("batch %d (%d texts, %d tokens for an estimate of %d): budget %d, want %d", i, len(batch), tokens, est, g, w)
			}
		}
	}
}

// BenchmarkLearnRatio takes the token count of batches of 64 movie records
// that a server counts at 1.3 tokens a word (nomic-embed-text on English).
func BenchmarkLearnRatio(b *testing.B) {
	texts := movieTexts(b, 64)
	words := 0
	for _, t := range texts {
		words += len(strings.Fields(t))
	}
	r := newRun(Config{Chunk: ChunkAuto, ContextTokens: 2048})
	b.ReportAllocs()
	for b.Loop() {
		r.learnRatio(texts, words*13/10)
	}
}
func TestBatchRatio(t *testing.T) {
	for _, tt := range []struct {
		est         []int
		prompt, ctx int
		want        float64
	}{
		{[]int{10, 10}, 30, 64, 1.5},
		{[]int{64, 10}, 64 + 15, 64, 1.5}, // the first text reached the context
		{[]int{20, 20}, 20, 64, 0.5},
		{[]int{32, 32}, 200, 64, 2}, // every text reached the context
	} {
		if got := batchRatio(tt.est, tt.prompt, tt.ctx); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("batchRatio(%v, %d, %d) = %v, want %v", tt.est, tt.prompt, tt.ctx, got, tt.want)
		}
	}
}
