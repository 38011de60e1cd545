package postgres_test

import (
	"context"
	"math"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

// A huge k (salvo similar --k 100000000000) on pgvector gives every row;
// k = math.MaxInt with an excluded ID used to overflow the LIMIT.
func TestSearchHugeK(t *testing.T) {
	s := open(t, pgtest.PGlite(t))
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "c", storetest.Entries(8, 1, 2, 3), []salvo.Item{{ID: "a", Key: storetest.Key(1)}, {ID: "b", Key: storetest.Key(2)}, {ID: "c", Key: storetest.Key(3)}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1e11, math.MaxInt} {
		hits, err := s.Search(ctx, "c", storetest.Vector(2, 8), k, "a")
		if err != nil || len(hits) != 2 || hits[0].ID != "b" {
			t.Errorf("k=%d: Search = %v, %v; want b and c", k, hits, err)
		}
	}
}
