package engine

import (
	"context"
	"errors"
	"math"
	"sync/atomic"

	"github.com/salvoembed/salvo"
	textchunk "github.com/salvoembed/salvo/chunk"
)

// ChunkAuto, as Config.Chunk, cuts the texts longer than the model's
// context (Config.ContextTokens) into pieces that fit.
const ChunkAuto = -1

// specialTokens is what a model adds to every input (BERT's [CLS] and
// [SEP]): room a piece leaves in the context.
const specialTokens = 2

// pieceBudget returns the most tokens, by chunk.Estimate, a piece may hold,
// or 0 when texts are not cut: Config.Chunk off, or auto without a known
// context.
//
// chunk.Estimate counts on the high side for ordinary text, so a piece
// sized by it alone fits; the budget depends on the text only, and the
// same text is cut the same way run after run (its pieces stay cached).
// When the server's token counts show more tokens than estimated (the
// ratio learned from prompt_eval_count is above 1: text the estimate
// undercounts, such as long strings of letters and digits), the budget
// shrinks by that ratio for the rest of the run.
func (r *run) pieceBudget() int {
	var n int
	switch c := r.cfg.Chunk; {
	case c > 0:
		n = c
		if ctx := r.cfg.ContextTokens - specialTokens; ctx > 0 && n > ctx {
			n = ctx
		}
	case c == ChunkAuto && r.cfg.ContextTokens > specialTokens:
		n = r.cfg.ContextTokens - specialTokens
	default:
		return 0
	}
	if ratio := r.tokenRatio(); ratio > 1 {
		n = int(float64(n) / ratio)
	}
	return max(n, 1)
}

// tokenRatio is the highest ratio seen so far of the tokens a server
// counted to the tokens estimated, 0 when none is known.
func (r *run) tokenRatio() float64 { return math.Float64frombits(r.ratio.Load()) }

// learnRatio takes a batch's token count (prompt_eval_count, the special
// tokens included) against the estimate of its texts. Only batches large
// enough to say something are taken, and never an answer that reached the
// context (its text was cut, so the count is low).
func (r *run) learnRatio(texts []string, promptTokens int) {
	if r.cfg.Chunk == 0 || promptTokens <= 0 || len(texts) == 1 && promptTokens >= r.cfg.ContextTokens && r.cfg.ContextTokens > 0 {
		return
	}
	// The ratio counts only above 1 (see pieceBudget) and only rises: once
	// the estimate reaches need, the batch can not raise it, and the rest
	// of its texts need not be read.
	need := float64(promptTokens) / max(1, r.tokenRatio())
	est := 0
	for _, t := range texts {
		est += textchunk.Estimate(t) + specialTokens
		if float64(est) >= need {
			return
		}
	}
	if est < 64 {
		return
	}
	r.raiseRatio(float64(promptTokens) / float64(est))
}

// raiseRatio makes ratio the learned token ratio if it is higher.
func (r *run) raiseRatio(ratio float64) {
	for {
		old := r.ratio.Load()
		if ratio <= math.Float64frombits(old) || r.ratio.CompareAndSwap(old, math.Float64bits(ratio)) {
			return
		}
	}
}

// recut embeds a text the server refused as longer than the model's
// context (with truncation off) in halves, cut again as long as the server
// refuses them, and gives the text the mean of their vectors, at unit
// length: nothing of it is cut off. The refusal says the server counts
// more tokens than estimated: the learned ratio rises to at least the
// context over the estimate, so the pieces cut from now on are smaller.
// It reports false, with no vector, when the text cannot be cut or a half
// fails for another reason.
func (r *run) recut(ctx context.Context, hi int, text string, vecs [][]float32, errs []error) (bool, error) {
	est := textchunk.Estimate(text)
	if r.cfg.ContextTokens > 0 && est > 0 {
		r.raiseRatio(float64(r.cfg.ContextTokens) / float64(est))
	}
	ps, err := textchunk.Split(text, textchunk.Options{MaxTokens: max(1, (est+1)/2), Overlap: -1})
	if err != nil || len(ps) < 2 {
		return false, nil
	}
	sub := make([]string, len(ps))
	for i, p := range ps {
		sub[i] = text[p.Start:p.End]
	}
	sv, se := make([][]float32, len(sub)), make([]error, len(sub))
	if err := r.embed(ctx, hi, false, sub, sv, se); err != nil {
		return false, err
	}
	var sum []float32
	for _, v := range sv {
		if v == nil {
			return false, nil
		}
		if sum == nil {
			sum = make([]float32, len(v))
		}
		for i := range v {
			sum[i] += v[i]
		}
	}
	if normalize(sum) != nil {
		return false, nil
	}
	r.c.Recut.Add(1)
	vecs[0], errs[0] = sum, nil
	return true, nil
}

// cut returns the pieces of text when it is to be cut, else nil.
func (r *run) cut(text string) []textchunk.Piece {
	budget := r.pieceBudget()
	if budget == 0 || textchunk.Fits(text, budget) {
		return nil
	}
	ps, err := textchunk.Split(text, textchunk.Options{MaxTokens: budget, Overlap: r.cfg.ChunkOverlap})
	if err != nil || len(ps) < 2 {
		return nil
	}
	return ps
}

// fits reports whether chunking is on and text fits a piece: such a text
// is batched as pieces are, on the estimate's word (see pieceBudget).
func (r *run) fits(text string) bool {
	budget := r.pieceBudget()
	return budget > 0 && textchunk.Fits(text, budget)
}

// takePieces adds the pieces of the n-th input to cur when its text is to
// be cut, and reports whether it was.
func (r *run) takePieces(in Input, n int64, cur *chunk) bool {
	ps := r.cut(in.Text)
	if ps == nil {
		return false
	}
	r.c.Chunked.Add(1)
	r.c.Pieces.Add(int64(len(ps)))
	for _, p := range ps {
		c := &salvo.Chunk{Index: p.Index, Count: len(ps), Start: p.Start, End: p.End}
		text := in.Text[p.Start:p.End]
		cur.recs = append(cur.recs, pending{ref: ref{id: in.ID, where: in.Where, seq: n, fields: in.Fields, chunk: c}, text: text, key: r.cfg.Key.Key(text)})
	}
	return true
}

// counts reports whether rf counts in the run's record counters: a whole
// record does, a piece only when it is its record's last (so a record
// counts once, whatever becomes of its other pieces).
func counts(rf ref) bool {
	return rf.chunk == nil || rf.chunk.Index == rf.chunk.Count-1
}

// countRefs is how many of refs count (see counts).
func countRefs(refs []ref) int64 {
	n := int64(0)
	for _, rf := range refs {
		if counts(rf) {
			n++
		}
	}
	return n
}

// ratioBits holds the learned token ratio as float64 bits.
type ratioBits = atomic.Uint64

// item is the store item of rf's record or piece.
func (rf ref) item(key salvo.Key) salvo.Item {
	return salvo.Item{ID: rf.id, Key: key, Fields: rf.fields, Chunk: rf.chunk}
}

// recheckMargin is how near the context (a share of it) a text of a batch
// whose count is above its estimate may come before it is checked alone.
const recheckMargin = 0.15

// batchRatio is the smallest ratio of tokens counted to tokens estimated,
// the same for every text of a batch, under which a server that counts
// each text up to its context (ctx), no more, counts promptTokens for
// texts estimated at est: the texts it cut count ctx, not their own.
func batchRatio(est []int, promptTokens, ctx int) float64 {
	counted := func(ratio float64) float64 {
		n := 0.0
		for _, e := range est {
			n += min(ratio*float64(e), float64(ctx))
		}
		return n
	}
	lo, hi := 0.0, 0.0
	for _, e := range est {
		if e > 0 {
			hi = max(hi, float64(ctx)/float64(e))
		}
	}
	if counted(hi) < float64(promptTokens) {
		return hi // every text reached the context
	}
	for range 50 {
		mid := (lo + hi) / 2
		if counted(mid) < float64(promptTokens) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// checkCut looks, with chunking on and the server truncating, for texts of
// an answer the server may have cut short at its context: a text alone is
// cut when its count reached the context (validate marks it truncated),
// and is then cut again (see recut) rather than kept short. Of a batch,
// whose count is the sum of its texts' and so names none, the texts whose
// estimate, scaled by the tokens counted per token estimated (the batch's,
// or the run's when higher), exceeds the context are sent again alone,
// to be checked so.
func (r *run) checkCut(ctx context.Context, hi int, texts []string, promptTokens int, vecs [][]float32, errs []error) error {
	if r.cfg.Chunk == 0 || !r.cfg.Key.Truncate || r.cfg.ContextTokens <= 0 {
		return nil
	}
	if len(texts) == 1 {
		if !errors.Is(errs[0], salvo.ErrTruncated) {
			return nil
		}
		_, err := r.recut(ctx, hi, texts[0], vecs, errs)
		return err
	}
	if promptTokens <= 0 {
		return nil
	}
	// No token holds less than a byte: a batch of texts each shorter in
	// bytes than what is rechecked had none cut, and needs no estimate.
	longest := 0
	for _, t := range texts {
		longest = max(longest, len(t))
	}
	if float64(longest+specialTokens) < (1-recheckMargin)*float64(r.cfg.ContextTokens) {
		return nil
	}
	est := make([]int, len(texts))
	for i, t := range texts {
		est[i] = textchunk.Estimate(t) + specialTokens
	}
	ratio := max(r.tokenRatio(), batchRatio(est, promptTokens, r.cfg.ContextTokens))
	if ratio < 1 {
		return nil // the estimate was high, as it is for ordinary text
	}
	// The ratio is the batch's as a whole: a text may count more than it
	// says, so those within recheckMargin of the context are checked too.
	for i := range texts {
		if float64(est[i])*ratio < (1-recheckMargin)*float64(r.cfg.ContextTokens) || vecs[i] == nil {
			continue
		}
		r.c.Rechecked.Add(1)
		if err := r.embed(ctx, hi, false, texts[i:i+1], vecs[i:i+1], errs[i:i+1]); err != nil {
			return err
		}
	}
	return nil
}
