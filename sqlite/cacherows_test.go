package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// TestPutCachedKeysInBatches: a Put large enough for the multi-row cache
// inserts, holding keys cached by an earlier Put and one key twice, stores
// the last vector given for each key, under one cache row per key, and
// every item finds its vector.
func TestPutCachedKeysInBatches(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	key := func(n int) salvo.Key { return salvo.Key(sha256.Sum256(fmt.Appendf(nil, "key %d", n))) }
	put := func(keys []int, seed int) map[salvo.Key][]float32 {
		t.Helper()
		want := map[salvo.Key][]float32{}
		var es []salvo.Entry
		var items []salvo.Item
		for i, k := range keys {
			v := storetest.Vector(seed+i, 8)
			es = append(es, salvo.Entry{Key: key(k), Vector: v, Text: fmt.Sprintf("text %d", k)})
			items = append(items, salvo.Item{ID: fmt.Sprintf("id%03d", k), Key: key(k)})
			want[key(k)] = v // a key given twice keeps its last vector
		}
		if err := s.Put(ctx, "c", es, items); err != nil {
			t.Fatalf("Put: %v", err)
		}
		return want
	}
	var first []int
	for k := range 75 { // one insert of 64 rows, one of 8, three of 1
		first = append(first, k)
	}
	want := put(first, 0)
	// 40 keys cached already (in the middle of the statements of 64 and
	// 8), 35 new ones, and key 100 twice.
	var second []int
	for k := 20; k < 60; k++ {
		second = append(second, k)
	}
	for k := 75; k < 110; k++ {
		second = append(second, k)
	}
	second = append(second, 100)
	for k, v := range put(second, 1000) {
		want[k] = v
	}

	keys := make([]salvo.Key, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	got, err := s.CachedVectors(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("key %x: cached vector %v, want %v", k[:4], got[k], v)
		}
	}
	n := 0
	if err := s.Each(ctx, "c", func(id string, v []float32) error {
		n++
		var k int
		if _, err := fmt.Sscanf(id, "id%d", &k); err != nil {
			return err
		}
		if !slices.Equal(v, want[key(k)]) {
			t.Errorf("item %s: vector %v, want %v", id, v, want[key(k)])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 110 {
		t.Errorf("%d items, want 110", n)
	}
	db, err := sql.Open("sqlite", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM cache").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 110 {
		t.Errorf("%d cache rows, want 110 (one per key)", rows)
	}
}
