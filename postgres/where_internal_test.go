package postgres

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

// The filtered query runs on the collection's HNSW index, with the filter
// applied as the index is scanned, once Index has run (which gathers the
// statistics the planner needs: PGlite has no autovacuum).
func TestSearchWhereUsesIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.PGlite(t).Fresh(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Fill(t, s, "c", 2000, 8)
	if err := s.Index(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	cid, dims, err := s.collection(ctx, s.pool, "c", false)
	if err != nil {
		t.Fatal(err)
	}
	b := &whereSQL{next: 4}
	grade, err := b.grade([]salvo.Cond{{Field: "kind", Op: "=", Values: []string{"rare"}}})
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL hnsw.iterative_scan = relaxed_order"); err != nil {
			return err
		}
		args := append([]any{pgvector.NewVector(storetest.Vector(1, dims)), 10, ""}, b.args...)
		rows, err := tx.Query(ctx, "EXPLAIN "+s.q.searchWhere(cid, dims, quoteIdent(s.srv.VectorSchema), grade), args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "Index Scan using items_hnsw_") {
		t.Errorf("the filtered search does not use the HNSW index:\n%s", strings.Join(plan, "\n"))
	}
}

func TestIterativeScans(t *testing.T) {
	for v, want := range map[string]bool{"0.8.0": true, "0.8.7": true, "0.10.1": true, "1.0.0": true, "0.7.4": false, "0.5.1": false, "": false, "x": false} {
		if got := iterativeScans(v); got != want {
			t.Errorf("iterativeScans(%q) = %v, want %v", v, got, want)
		}
	}
}

// The SQL's number classes hold what Go reads: every text that
// strconv.ParseFloat reads is strictNumber or looseNumber (so SQL never
// compares as strings what Go compares as numbers), and a strictNumber is
// read by Go without error, finite and inside float8's normal range (so
// the SQL's ::float8 neither fails nor rounds otherwise).
func FuzzNumberClasses(f *testing.F) {
	for _, s := range []string{"1999", "-0", "1.", ".5", "+.5e-3", "1e400", "1e-400", "inf", "-Infinity", "NaN", "0x1p3", "0X_1P-2", "1_000", " 12", "12abc", "0x", "1e", "1.0e+99", strings.Repeat("9", 40) + "e99"} {
		f.Add(s)
	}
	strict := regexp.MustCompile(strictNumber)
	loose := regexp.MustCompile("(?i)" + looseNumber)
	f.Fuzz(func(t *testing.T, s string) {
		x, err := strconv.ParseFloat(s, 64)
		if err == nil && !strict.MatchString(s) && !loose.MatchString(s) {
			t.Errorf("Go reads %q as %v, but it is neither strictNumber nor looseNumber", s, x)
		}
		if strict.MatchString(s) && (err != nil || math.IsInf(x, 0) || (x != 0 && math.Abs(x) < 1e-300)) {
			t.Errorf("strictNumber %q: Go reads %v, %v", s, x, err)
		}
	})
}
