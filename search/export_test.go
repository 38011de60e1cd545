package search

import (
	"cmp"
	"context"
	"slices"

	"github.com/salvoembed/salvo"
)

// PlainFusion ranks as hybrid does but by plain reciprocal rank fusion (no
// weight on the words, no exact match first) and returns the best ID: for
// the test that shows why hybrid needs both.
func PlainFusion(ctx context.Context, c *Collection, emb salvo.Embedder, text string) (string, error) {
	texts, err := c.textRanking(ctx, text, hybridPool, nil)
	if err != nil {
		return "", err
	}
	vecs, err := c.QueryWhere(ctx, emb, text, "", hybridPool, nil)
	if err != nil {
		return "", err
	}
	score := map[string]float64{}
	for i, r := range vecs {
		score[r.ID] += 1 / float64(rrfK+i+1)
	}
	for i, h := range texts {
		score[h.result.ID] += 1 / float64(rrfK+i+1)
	}
	ids := make([]string, 0, len(score))
	for id := range score {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(score[b], score[a]), cmp.Compare(a, b)) })
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}
