package search

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/salvoembed/salvo"
)

// rrfK is reciprocal rank fusion's constant: a record ranked r-th (from 1)
// adds 1/(rrfK + r) to its score.
const rrfK = 60

// hybridPool is how many records each ranking gives the fusion, at least
// (2k when that is more).
const hybridPool = 100

// decisiveAt is the rank whose text score the top's is compared with to
// tell how decisive the words are.
const decisiveAt = 10

// Find returns the k records best for the query text by mode, among those
// that match w. emb embeds the query (prefix+text); in ModeText it is not
// called and may be nil. Scores: cosine similarity in ModeVector, the
// store's text score (higher is better) in ModeText, the fused score in
// ModeHybrid.
func (c *Collection) Find(ctx context.Context, emb salvo.Embedder, text, prefix string, k int, w Where, mode Mode) ([]Result, error) {
	switch mode {
	case ModeVector:
		return c.QueryWhere(ctx, emb, text, prefix, k, w)
	case ModeText:
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("%w: give the text to search for", ErrEmptyQuery)
		}
		if len(Words(text)) == 0 {
			return nil, fmt.Errorf("%w: %q holds no word (letters or digits) to search for", ErrEmptyQuery, text)
		}
		hits, err := c.textRanking(ctx, text, k, w)
		if err != nil {
			return nil, err
		}
		out := make([]Result, len(hits))
		for i, h := range hits {
			out[i] = h.result
		}
		return out, nil
	case ModeHybrid:
		return c.hybrid(ctx, emb, text, prefix, k, w)
	}
	return nil, &ModeError{Value: string(mode)}
}

// textHit is a record the words found.
type textHit struct {
	result Result // Score: the store's text score
	tier   int
}

// textRanking returns the n best records for the words of query among
// those that match w: by tier (an exact match, then a phrase), then by the
// store's score. It asks the store for records holding the phrase and for
// records holding any word, n of each, and asks again for twice as many
// while the filter leaves fewer than n.
func (c *Collection) textRanking(ctx context.Context, query string, n int, w Where) ([]textHit, error) {
	ts, ok := c.store.(salvo.TextSearcher)
	if !ok {
		return nil, fmt.Errorf("%w (%T has no full-text index)", ErrTextUnsupported, c.store)
	}
	words := Words(query)
	if len(words) == 0 || n <= 0 {
		return nil, nil
	}
	q := Normal(query)
	for limit := n; ; limit *= 2 {
		var phrase []salvo.Hit
		if len(words) > 1 {
			var err error
			if phrase, err = ts.TextSearch(ctx, c.Info.Name, salvo.TextQuery{Words: words, Phrase: true}, limit); err != nil {
				return nil, err
			}
		}
		anyWord, err := ts.TextSearch(ctx, c.Info.Name, salvo.TextQuery{Words: words}, limit)
		if err != nil {
			return nil, err
		}
		// The score of a record is the one of the any-word ranking; a
		// phrase match beyond it keeps its phrase score.
		score := make(map[string]float32, len(anyWord)+len(phrase))
		var ids []string
		for _, hs := range [][]salvo.Hit{anyWord, phrase} {
			for _, h := range hs {
				if _, seen := score[h.ID]; !seen {
					score[h.ID] = h.Score
					ids = append(ids, h.ID)
				}
			}
		}
		hits, err := c.textHits(ctx, ids, score, q, w)
		if err != nil {
			return nil, err
		}
		if len(hits) >= n || (len(anyWord) < limit && len(phrase) < limit) || limit >= c.Info.Count {
			return hits[:min(n, len(hits))], nil
		}
	}
}

// textHits reads the kept fields and texts of ids, keeps those matching w,
// and sorts them by tier, then score.
func (c *Collection) textHits(ctx context.Context, ids []string, score map[string]float32, q string, w Where) ([]textHit, error) {
	var docs []salvo.Doc
	if dr, ok := c.store.(salvo.DocReader); ok && len(ids) > 0 {
		var err error
		if docs, err = dr.Docs(ctx, c.Info.Name, ids); err != nil {
			return nil, err
		}
	} else if len(w) > 0 {
		return nil, fmt.Errorf("%w: the store cannot read kept fields", ErrWhereUnsupported)
	}
	hits := make([]textHit, 0, len(ids))
	for i, id := range ids {
		r := Result{ID: id, Score: score[id], Fields: json.RawMessage("{}")}
		var fields map[string]any
		if docs != nil {
			if len(docs[i].Fields) > 0 {
				r.Fields = docs[i].Fields
			}
			r.Text = strings.TrimPrefix(docs[i].Text, c.Info.Prefix)
			fields = DecodeFields(docs[i].Fields)
		}
		if len(w) > 0 && !w.Match(fields) {
			continue
		}
		hits = append(hits, textHit{result: r, tier: tier(q, r.Text, fields)})
	}
	slices.SortStableFunc(hits, func(a, b textHit) int {
		return cmp.Or(cmp.Compare(b.tier, a.tier), cmp.Compare(b.result.Score, a.result.Score), strings.Compare(a.result.ID, b.result.ID))
	})
	return hits, nil
}

// hybrid fuses the vector ranking and the text ranking.
//
// Plain reciprocal rank fusion gives both rankings the same say. Words are
// decisive when a record holds the query whole (a kept field's value, or
// its text, is the query: an exact title or name): such records come
// first. Otherwise the text ranking's weight is how far its best score
// stands above the 10th best (1 when it alone matched, near 0 when many
// records hold the words alike), so that meaning wins where the words are
// weak. A store without a full-text index ranks by meaning alone.
func (c *Collection) hybrid(ctx context.Context, emb salvo.Embedder, text, prefix string, k int, w Where) ([]Result, error) {
	if k <= 0 {
		return []Result{}, nil
	}
	if _, ok := c.store.(salvo.TextSearcher); !ok {
		return c.QueryWhere(ctx, emb, text, prefix, k, w) // no words to fuse: meaning alone
	}
	pool := max(hybridPool, 2*k)
	texts, err := c.textRanking(ctx, text, pool, w)
	if err != nil {
		return nil, err
	}
	q, err := c.embedQuery(ctx, emb, text, prefix)
	if err != nil {
		return nil, err
	}
	// The vector ranking's records are read from the store only for those
	// that make the top k (the text ranking's are read already: their tier
	// needs them).
	vecs, chunks, err := c.nearestHits(ctx, q, pool, "", w)
	if err != nil {
		return nil, err
	}
	type fused struct {
		r     Result
		score float64
		read  bool         // r holds what the store keeps of the record
		chunk *salvo.Chunk // the vector ranking's best piece of it
	}
	byID := make(map[string]*fused, len(vecs)+len(texts))
	all := make([]*fused, 0, len(vecs)+len(texts))
	for i, h := range vecs {
		f := &fused{r: Result{ID: h.ID, Score: h.Score, Fields: json.RawMessage("{}")}, score: 1 / float64(rrfK+i+1)}
		if i < len(chunks) {
			f.chunk = chunks[i]
		}
		byID[h.ID] = f
		all = append(all, f)
	}
	weight := decisiveness(texts)
	for i, h := range texts {
		f, ok := byID[h.result.ID]
		if !ok {
			f = &fused{}
			byID[h.result.ID] = f
			all = append(all, f)
		}
		f.r, f.read = h.result, true
		f.score += weight / float64(rrfK+i+1)
		if h.tier == tierExact {
			f.score++
		}
	}
	slices.SortStableFunc(all, func(a, b *fused) int {
		return cmp.Or(cmp.Compare(b.score, a.score), strings.Compare(a.r.ID, b.r.ID))
	})
	top := all[:min(k, len(all))]
	var unread []salvo.Hit
	for _, f := range top {
		if !f.read {
			unread = append(unread, salvo.Hit{ID: f.r.ID})
		}
	}
	read, err := c.results(ctx, unread)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(top))
	chunkOf := make([]*salvo.Chunk, 0, len(top))
	for _, f := range top {
		if !f.read {
			f.r, read = read[0], read[1:]
		}
		f.r.Score = float32(f.score)
		out = append(out, f.r)
		chunkOf = append(chunkOf, f.chunk)
	}
	return out, c.addChunks(ctx, out, chunkOf)
}

// decisiveness is the weight of the text ranking in the fusion: how far
// the best text score stands above the one at rank decisiveAt (or the
// last), from 0 (all alike) to 1 (one record alone holds the words, or the
// best far above the rest).
func decisiveness(hits []textHit) float64 {
	switch len(hits) {
	case 0:
		return 0
	case 1:
		return 1
	}
	scores := make([]float64, len(hits))
	for i, h := range hits {
		scores[i] = float64(h.result.Score)
	}
	slices.SortFunc(scores, func(a, b float64) int { return cmp.Compare(b, a) })
	best, ref := scores[0], scores[min(decisiveAt, len(scores))-1]
	if best <= 0 {
		return 0
	}
	return min(1, max(0, (best-ref)/best))
}

// FindFallback is Find with the embedder made by connect (called only in
// the modes that embed the query), except that a hybrid search whose query
// cannot be embedded (connect fails, or the query's embedding does: an
// [EmbedQueryError]) ranks by the words alone, when the store can: used is
// then ModeText and why says what stopped the embedding. A vector search
// fails as Find does. A query cancelled by ctx is not answered.
func (c *Collection) FindFallback(ctx context.Context, connect func() (salvo.Embedder, error), text, prefix string, k int, w Where, mode Mode) (res []Result, used Mode, why, err error) {
	var emb salvo.Embedder
	if mode != ModeText {
		emb, err = connect()
	}
	if err == nil {
		res, err = c.Find(ctx, emb, text, prefix, k, w, mode)
		var eq *EmbedQueryError
		if mode != ModeHybrid || !errors.As(err, &eq) {
			return res, mode, nil, err
		}
	}
	if mode != ModeHybrid || ctx.Err() != nil {
		return nil, mode, nil, err
	}
	if _, ok := c.store.(salvo.TextSearcher); !ok {
		return nil, mode, nil, err // no words to rank by
	}
	res, terr := c.Find(ctx, nil, text, prefix, k, w, ModeText)
	if terr != nil {
		return nil, mode, nil, err
	}
	return res, ModeText, err, nil
}
