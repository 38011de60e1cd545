package search_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
)

func unitVec(xs ...float32) []float32 { return xs }

// chunkedStore holds "w", a whole record along x, and "long", a record in
// three pieces along y, z and -x, in 4 dimensions.
func chunkedStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "/api/embed"}); err != nil {
		t.Fatal(err)
	}
	spec := salvo.KeySpec{Model: "m"}
	texts := []string{"whole", "first piece", "second piece", "third piece"}
	vecs := [][]float32{unitVec(1, 0, 0, 0), unitVec(0, 1, 0, 0), unitVec(0, 0, 1, 0), unitVec(-1, 0, 0, 0)}
	var es []salvo.Entry
	for i, tx := range texts {
		es = append(es, salvo.Entry{Key: spec.Key(tx), Vector: vecs[i], Text: tx})
	}
	items := []salvo.Item{{ID: "w", Key: es[0].Key, Fields: []byte(`{"k":"w"}`)}}
	for i := range 3 {
		items = append(items, salvo.Item{ID: "long", Key: es[i+1].Key, Fields: []byte(`{"k":"long"}`),
			Chunk: &salvo.Chunk{Index: i, Count: 3, Start: 10 * i, End: 10*i + 12}})
	}
	if err := st.Put(ctx, "c", es, items); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSearchFoldsPieces: a record cut into pieces is ranked by its best
// piece, shown with that piece's number, offsets and text, and listed
// once; PerPiece lists every piece; Similar leaves all of a record's
// pieces out.
func TestSearchFoldsPieces(t *testing.T) {
	ctx := context.Background()
	c, err := search.Open(ctx, chunkedStore(t), "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := []float32{0.1, 0, 0.9, 0.1}
	rs, err := c.Nearest(ctx, q, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ID != "long" || rs[1].ID != "w" {
		t.Fatalf("results %+v, want long then w, each once", rs)
	}
	want := search.ChunkHit{Index: 1, Start: 10, End: 22, Text: "second piece"}
	if rs[0].Chunk == nil || *rs[0].Chunk != want || string(rs[0].Fields) != `{"k":"long"}` {
		t.Fatalf("long: chunk %+v fields %s, want %+v and its fields", rs[0].Chunk, rs[0].Fields, want)
	}
	if rs[1].Chunk != nil || rs[1].Text != "whole" {
		t.Fatalf("w: chunk %+v text %q, want no chunk and its text", rs[1].Chunk, rs[1].Text)
	}

	// k = 1: one record, its best piece.
	if rs, err := c.Nearest(ctx, q, 1, ""); err != nil || len(rs) != 1 || rs[0].ID != "long" || rs[0].Chunk.Index != 1 {
		t.Fatalf("k=1: %+v, %v", rs, err)
	}

	c.PerPiece = true
	rs, err = c.Nearest(ctx, q, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("PerPiece: %d results, want 4 (3 pieces and w): %+v", len(rs), rs)
	}
	c.PerPiece = false

	// Similar to w (along x): long's pieces are candidates; similar to
	// long: none of its own pieces comes back.
	rs, err = c.Similar(ctx, "long", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ID != "w" {
		t.Fatalf("Similar(long) = %+v, want w only", rs)
	}
	if rs, err := c.Similar(ctx, "w", 5); err != nil || len(rs) != 1 || rs[0].ID != "long" {
		t.Fatalf("Similar(w) = %+v, %v; want long", rs, err)
	}

	// A filter on kept fields sees the record's fields from its pieces.
	w, err := search.ParseWhere("k=long")
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := c.NearestWhere(ctx, []float32{1, 0, 0, 0}, 5, "", search.Where{w}); err != nil || len(rs) != 1 || rs[0].ID != "long" {
		t.Fatalf("where k=long: %+v, %v", rs, err)
	}
}
