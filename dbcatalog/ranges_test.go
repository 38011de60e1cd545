package dbcatalog

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/postgres/pgtest"
)

// Bounds cuts a query's rows into ranges of equal size by ID, gaps and
// negative IDs included, and RangeQuery reads each range: together they
// read every row once.
func TestBoundsAndRangeQueryPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.PostgreSQL(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const query = "SELECT i * 3 - 30 AS id, 'movie ' || i AS title FROM generate_series(1, 25) AS i;"
	bounds, err := db.Bounds(ctx, query, "id", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{-27, 3, 33}; !slices.Equal(bounds, want) {
		t.Fatalf("bounds %v, want %v", bounds, want)
	}
	total := 0
	for i, b := range bounds {
		end := b // the last range has no upper bound
		if i+1 < len(bounds) {
			end = bounds[i+1]
		}
		recs, errs := readAll(t, db, RangeQuery(query, "id", b, end), "id")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		total += len(recs)
	}
	if total != 25 {
		t.Errorf("the ranges read %d rows, want 25", total)
	}
	if _, err := db.Bounds(ctx, "SELECT 'a' AS id", "id", 10); err == nil || !strings.Contains(err.Error(), "integers") {
		t.Errorf("a text ID column: %v, want a refusal", err)
	}
}
