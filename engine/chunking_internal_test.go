package engine

import (
	"math"
	"strings"
	"testing"

	textchunk "github.com/salvoembed/salvo/chunk"
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
