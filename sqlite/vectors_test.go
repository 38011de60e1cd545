package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/salvoembed/salvo"
)

// CachedVectors gives back the vector of every cached key asked for, over
// several queries' worth of keys, and leaves out the keys not cached.
func TestCachedVectors(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	spec := salvo.KeySpec{Model: "m"}
	var entries []salvo.Entry
	var items []salvo.Item
	const n = 2*cachedChunk + 7
	for i := range n {
		k := spec.Key(fmt.Sprint("text ", i))
		entries = append(entries, salvo.Entry{Key: k, Vector: []float32{float32(i), 1, -2.5}})
		items = append(items, salvo.Item{ID: fmt.Sprint(i), Key: k})
	}
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "c", entries, items); err != nil {
		t.Fatal(err)
	}
	var keys []salvo.Key
	for i := range n {
		keys = append(keys, entries[i].Key)
		if i%100 == 0 {
			keys = append(keys, spec.Key(fmt.Sprint("not cached ", i)))
		}
	}
	got, err := s.CachedVectors(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d vectors for %d cached keys", len(got), n)
	}
	for i, e := range entries {
		v := got[e.Key]
		if len(v) != 3 || v[0] != float32(i) || v[1] != 1 || v[2] != -2.5 {
			t.Fatalf("key %d: %v, want %v", i, v, e.Vector)
		}
	}
	if got, err := s.CachedVectors(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("no keys: %v, %v", got, err)
	}
}
