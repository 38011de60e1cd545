package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/salvoembed/salvo"
)

// testDeleteItems: deleting one of two records that share a vector leaves
// the other, its vector and the cached vector; other collections and IDs
// not given are untouched; IDs the collection lacks are no error.
func testDeleteItems(t *testing.T, s salvo.Store) {
	p, ok := s.(salvo.Pruner)
	if !ok {
		t.Skipf("%T has no salvo.Pruner", s)
	}
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	// a and b share a text (one key, one cached vector).
	mustPut(t, s, "c", Entries(4, 1, 2), []salvo.Item{{ID: "a", Key: Key(1)}, {ID: "b", Key: Key(1)}, {ID: "x", Key: Key(2)}})
	mustPut(t, s, "other", nil, []salvo.Item{{ID: "a", Key: Key(1)}})
	n, err := p.DeleteItems(ctx, "c", []string{"a", "nope", "\xff", "nul\x00"})
	if err != nil || n != 1 {
		t.Fatalf("DeleteItems(c, a and absent IDs) = %d, %v; want 1, nil", n, err)
	}
	ids, vs := each(t, s, "c")
	if len(ids) != 2 || ids[0] != "b" || ids[1] != "x" {
		t.Errorf("collection c after deleting a holds %q, want [b x]", ids)
	}
	if !sameBits(vs["b"], Vector(1, 4)) {
		t.Errorf("b's vector after deleting a = %v, want %v", vs["b"], Vector(1, 4))
	}
	if got := count(t, s, "other"); got != 1 {
		t.Errorf("collection other holds %d records after deleting from c, want 1", got)
	}
	if cr, ok := s.(salvo.CacheReader); ok {
		got, err := cr.CachedVectors(ctx, []salvo.Key{Key(1)})
		if err != nil || !sameBits(got[Key(1)], Vector(1, 4)) {
			t.Errorf("cached vector after DeleteItems = %v, %v; want it kept", got, err)
		}
	}
	// The record is gone for Lookup too: storing it again is a new record.
	if pr := lookup(t, s, "c", []salvo.Item{{ID: "a", Key: Key(1)}}); pr[0] != salvo.Cached {
		t.Errorf("Lookup of a deleted record = %v, want Cached", pr[0])
	}
	// Deleting the last record of a text leaves its vector cached.
	if n, err := p.DeleteItems(ctx, "c", []string{"b", "x"}); err != nil || n != 2 {
		t.Fatalf("DeleteItems(c, b x) = %d, %v; want 2, nil", n, err)
	}
	if got := count(t, s, "c"); got != 0 {
		t.Errorf("collection c holds %d records, want 0", got)
	}
	if cr, ok := s.(salvo.CacheReader); ok {
		got, err := cr.CachedVectors(ctx, []salvo.Key{Key(1), Key(2)})
		if err != nil || len(got) != 2 {
			t.Errorf("cached vectors after deleting every record = %d vectors, %v; want 2 kept", len(got), err)
		}
	}
	if n, err := p.DeleteItems(ctx, "c", nil); err != nil || n != 0 {
		t.Errorf("DeleteItems of no IDs = %d, %v; want 0, nil", n, err)
	}
	if _, err := p.DeleteItems(ctx, "missing", []string{"a"}); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("DeleteItems of a missing collection: err = %v, want one wrapping ErrNoCollection", err)
	}
}
