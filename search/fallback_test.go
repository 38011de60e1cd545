package search_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
)

// failingEmbedder fails every query, as a client of a stopped server does.
type failingEmbedder struct{ err error }

func (f failingEmbedder) Embed(context.Context, []string) (*salvo.Embedding, error) {
	return nil, f.err
}

// TestFindFallback: a hybrid search whose query cannot be embedded (the
// connection fails, or the embedding) answers with the text ranking, says
// ModeText and why; a vector search fails with the error; a text search
// never connects; a cancelled one is not answered.
func TestFindFallback(t *testing.T) {
	var recs []rec
	for i := range 20 {
		recs = append(recs, rec{id: fmt.Sprintf("r%02d", i), text: fmt.Sprintf("The harbour at dusk, part %d", i), fields: map[string]any{"n": i}})
	}
	st := wordStore(t, recs, 32)
	ctx := context.Background()
	c, err := search.Open(ctx, st, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const query = "The harbour at dusk, part 7"
	want, err := c.Find(ctx, nil, query, "", 5, nil, search.ModeText)
	if err != nil || len(want) == 0 || want[0].ID != "r07" {
		t.Fatalf("text ranking = %q, %v", ids(want), err)
	}
	down := errors.New("cannot reach the server")
	for name, connect := range map[string]func() (salvo.Embedder, error){
		"connect fails": func() (salvo.Embedder, error) { return nil, down },
		"embed fails":   func() (salvo.Embedder, error) { return failingEmbedder{down}, nil },
	} {
		res, used, why, err := c.FindFallback(ctx, connect, query, "", 5, nil, search.ModeHybrid)
		if err != nil || used != search.ModeText || !errors.Is(why, down) || !slices.Equal(ids(res), ids(want)) {
			t.Errorf("%s: hybrid = %q, mode %q, why %v, err %v; want the text ranking %q, ModeText and why", name, ids(res), used, why, err, ids(want))
		}
		if _, _, why, err := c.FindFallback(ctx, connect, query, "", 5, nil, search.ModeVector); !errors.Is(err, down) || why != nil {
			t.Errorf("%s: vector: err %v, why %v; want the error", name, err, why)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if res, _, _, err := c.FindFallback(cancelled, connect, query, "", 5, nil, search.ModeHybrid); err == nil {
			t.Errorf("%s: hybrid with a cancelled context = %q, want an error", name, ids(res))
		}
	}
	res, used, why, err := c.FindFallback(ctx, func() (salvo.Embedder, error) {
		t.Error("text mode connected")
		return nil, down
	}, query, "", 5, nil, search.ModeText)
	if err != nil || used != search.ModeText || why != nil || !slices.Equal(ids(res), ids(want)) {
		t.Errorf("text = %q, %q, %v, %v", ids(res), used, why, err)
	}
	// The embedding works: hybrid as Find's.
	hyb, err := c.Find(ctx, hashEmbedder{dims: 32}, query, "", 5, nil, search.ModeHybrid)
	if err != nil {
		t.Fatal(err)
	}
	res, used, why, err = c.FindFallback(ctx, func() (salvo.Embedder, error) { return hashEmbedder{dims: 32}, nil }, query, "", 5, nil, search.ModeHybrid)
	if err != nil || used != search.ModeHybrid || why != nil || !slices.Equal(ids(res), ids(hyb)) {
		t.Errorf("hybrid with a server = %q, %q, %v, %v; want %q", ids(res), used, why, err, ids(hyb))
	}
}
