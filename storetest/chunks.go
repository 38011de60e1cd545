package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
)

// piece is the item of piece i of n of record id, keyed by Key(seed),
// at offsets [10i, 10i+12).
func piece(id string, seed, i, n int) salvo.Item {
	return salvo.Item{ID: id, Key: Key(seed), Chunk: &salvo.Chunk{Index: i, Count: n, Start: 10 * i, End: 10*i + 12}}
}

type readPiece struct {
	id string
	c  salvo.Chunk
	v  []float32
}

func eachChunk(t *testing.T, cr salvo.ChunkReader, coll string) []readPiece {
	t.Helper()
	var out []readPiece
	err := cr.EachChunk(context.Background(), coll, func(id string, c salvo.Chunk, v []float32) error {
		out = append(out, readPiece{id, c, v})
		return nil
	})
	if err != nil {
		t.Fatalf("EachChunk(%q): %v", coll, err)
	}
	return out
}

// testChunks: the pieces of a long record are stored under its ID, read
// back in (ID, number) order with their offsets, count and texts; the
// record counts once; Lookup says which pieces are stored; a record cut
// into fewer pieces loses the rest; a record stored whole again loses its
// pieces; pieces never touch another collection or a whole record.
func testChunks(t *testing.T, s salvo.Store) {
	cr, ok := s.(salvo.ChunkReader)
	if !ok {
		t.Skipf("%T has no salvo.ChunkReader", s)
	}
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	// Record "long" in three pieces (seeds 1, 2, 3), "b" in two (seeds 4,
	// 1: a piece text shared with "long"), "w" whole (seed 5), in two Puts,
	// as a run's batches mix pieces of several records.
	mustPut(t, s, "c", Entries(4, 1, 2, 5), []salvo.Item{
		piece("long", 2, 1, 3), {ID: "w", Key: Key(5), Fields: []byte(`{"t":"w"}`)},
		{ID: "long", Key: Key(1), Fields: []byte(`{"t":"long"}`), Chunk: &salvo.Chunk{Index: 0, Count: 3, Start: 0, End: 12}},
	})
	mustPut(t, s, "c", Entries(4, 3, 4), []salvo.Item{piece("long", 3, 2, 3), piece("b", 4, 0, 2), piece("b", 1, 1, 2)})
	mustPut(t, s, "other", nil, []salvo.Item{{ID: "long", Key: Key(1)}})

	got := eachChunk(t, cr, "c")
	want := []readPiece{
		{"b", salvo.Chunk{Index: 0, Count: 2, Start: 0, End: 12}, Vector(4, 4)},
		{"b", salvo.Chunk{Index: 1, Count: 2, Start: 10, End: 22}, Vector(1, 4)},
		{"long", salvo.Chunk{Index: 0, Count: 3, Start: 0, End: 12}, Vector(1, 4)},
		{"long", salvo.Chunk{Index: 1, Count: 3, Start: 10, End: 22}, Vector(2, 4)},
		{"long", salvo.Chunk{Index: 2, Count: 3, Start: 20, End: 32}, Vector(3, 4)},
	}
	if len(got) != len(want) {
		t.Fatalf("EachChunk(c) gave %d pieces, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].id != want[i].id || got[i].c != want[i].c || !sameBits(got[i].v, want[i].v) {
			t.Errorf("piece %d = %q %+v %v, want %q %+v %v", i, got[i].id, got[i].c, got[i].v, want[i].id, want[i].c, want[i].v)
		}
	}
	if p := eachChunk(t, cr, "other"); len(p) != 0 {
		t.Errorf("collection other holds pieces %v, want none", p)
	}
	// Each record once: b, long, w.
	if n := count(t, s, "c"); n != 3 {
		t.Errorf("collection c counts %d records, want 3 (b, long, w)", n)
	}
	ids, _ := each(t, s, "c")
	if !slices.Equal(ids, []string{"b", "long", "w"}) {
		t.Errorf("Each(c) = %q, want [b long w]", ids)
	}
	if text, err := cr.ChunkText(ctx, "c", "long", 2); err != nil || text != "text 3" {
		t.Errorf("ChunkText(long, 2) = %q, %v; want %q", text, err, "text 3")
	}
	if _, err := cr.ChunkText(ctx, "c", "long", 3); !errors.Is(err, salvo.ErrNoChunk) {
		t.Errorf("ChunkText(long, 3) error = %v, want ErrNoChunk", err)
	}
	if dr, ok := s.(salvo.DocReader); ok {
		docs, err := dr.Docs(ctx, "c", []string{"long"})
		if err != nil || len(docs) != 1 || string(docs[0].Fields) != `{"t":"long"}` {
			t.Errorf("Docs(long) = %+v, %v; want the record's kept fields", docs, err)
		}
	}

	// Lookup: the same pieces are stored; other offsets, another count or
	// a new text are not; a piece's key cached elsewhere is Cached.
	pr := lookup(t, s, "c", []salvo.Item{
		piece("long", 1, 0, 3), piece("long", 3, 2, 3), // stored
		{ID: "long", Key: Key(1), Chunk: &salvo.Chunk{Index: 0, Count: 3, Start: 0, End: 13}}, // moved
		piece("long", 2, 1, 2),  // the record now has 2 pieces: piece 2 must go
		piece("long", 99, 1, 3), // a new text
		piece("long", 5, 3, 4),  // a new piece, its text cached
		{ID: "w", Key: Key(5)},  // whole, stored
		piece("other", 1, 0, 2),
	})
	wantPr := []salvo.Presence{salvo.Stored, salvo.Stored, salvo.Cached, salvo.Cached, salvo.Missing, salvo.Cached, salvo.Stored, salvo.Cached}
	if !slices.Equal(pr, wantPr) {
		t.Errorf("Lookup of pieces = %v, want %v", pr, wantPr)
	}

	// Cut again into two pieces: piece 2 goes, the record stays.
	mustPut(t, s, "c", nil, []salvo.Item{piece("long", 1, 0, 2), piece("long", 2, 1, 2)})
	got = eachChunk(t, cr, "c")
	if len(got) != 4 || got[3].id != "long" || got[3].c.Index != 1 || got[3].c.Count != 2 {
		t.Errorf("after cutting long into 2 pieces, EachChunk = %v", got)
	}
	if pr := lookup(t, s, "c", []salvo.Item{piece("long", 2, 1, 2)}); pr[0] != salvo.Stored {
		t.Errorf("Lookup of the last piece after the cut = %v, want Stored", pr[0])
	}
	// Stored whole again: its pieces go; b keeps its own.
	mustPut(t, s, "c", nil, []salvo.Item{{ID: "long", Key: Key(3)}})
	got = eachChunk(t, cr, "c")
	if len(got) != 2 || got[0].id != "b" || got[1].id != "b" {
		t.Errorf("after storing long whole, EachChunk = %v, want b's 2 pieces", got)
	}
	if pr := lookup(t, s, "c", []salvo.Item{{ID: "long", Key: Key(3)}, piece("long", 1, 0, 2)}); pr[0] != salvo.Stored || pr[1] != salvo.Cached {
		t.Errorf("Lookup after storing long whole = %v, want [Stored Cached]", pr)
	}
	if n := count(t, s, "c"); n != 3 {
		t.Errorf("collection c counts %d records, want 3", n)
	}
	// Deleting a chunked record deletes its pieces.
	if p, ok := s.(salvo.Pruner); ok {
		if n, err := p.DeleteItems(ctx, "c", []string{"b"}); err != nil || n != 1 {
			t.Fatalf("DeleteItems(b) = %d, %v; want 1, nil", n, err)
		}
		if got := eachChunk(t, cr, "c"); len(got) != 0 {
			t.Errorf("after deleting b, EachChunk = %v, want none", got)
		}
	}
	// A piece whose vector is of other dimensions fails the Put.
	var de *salvo.DimensionError
	if err := s.Put(ctx, "c", Entries(8, 7), []salvo.Item{piece("z", 7, 1, 2)}); !errors.As(err, &de) {
		t.Errorf("Put of an 8-dimensional piece in a 4-dimensional collection: %v, want a DimensionError", err)
	}
}

// testDropChunked: dropping a collection whose records have pieces drops
// them too, and leaves another collection's pieces.
func testDropChunked(t *testing.T, s salvo.Store) {
	cr, ok := s.(salvo.ChunkReader)
	d, ok2 := s.(interface {
		DropCollection(ctx context.Context, collection string) (int64, error)
	})
	if !ok || !ok2 {
		t.Skipf("%T has no salvo.ChunkReader or DropCollection", s)
	}
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "keep", "m")
	mustPut(t, s, "c", Entries(4, 1, 2), []salvo.Item{piece("a", 1, 0, 2), piece("a", 2, 1, 2)})
	mustPut(t, s, "keep", nil, []salvo.Item{piece("a", 1, 0, 2), piece("a", 2, 1, 2)})
	if n, err := d.DropCollection(context.Background(), "c"); err != nil || n != 1 {
		t.Fatalf("DropCollection(c) = %d, %v; want 1 record, nil", n, err)
	}
	if got := eachChunk(t, cr, "keep"); len(got) != 2 {
		t.Errorf("collection keep holds %d pieces after dropping c, want 2", len(got))
	}
	mustOpen(t, s, "c", "m")
	if got := eachChunk(t, cr, "c"); len(got) != 0 {
		t.Errorf("a new collection c holds the dropped one's pieces: %v", got)
	}
}
