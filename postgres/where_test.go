package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/storetest"
)

// scanCounter counts the times search reads a whole collection.
type scanCounter struct {
	*postgres.Store
	scans atomic.Int64
}

func (s *scanCounter) Vectors(ctx context.Context, coll string) ([]string, []float32, int, error) {
	s.scans.Add(1)
	return s.Store.Vectors(ctx, coll)
}

func (s *scanCounter) Each(ctx context.Context, coll string, fn func(string, []float32) error) error {
	s.scans.Add(1)
	return s.Store.Each(ctx, coll, fn)
}

// fillRare stores n records of which 1% have kind "rare", with random
// unit vectors, and builds the store's index.
func fillRare(t *testing.T, s *postgres.Store, n, dims int) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Keep: "*"}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	var (
		es    []salvo.Entry
		items []salvo.Item
	)
	for i := range n {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		kind := "common"
		if i%100 == 42 {
			kind = "rare"
		}
		es = append(es, salvo.Entry{Key: storetest.Key(i), Vector: unitVec(v)})
		items = append(items, salvo.Item{ID: fmt.Sprintf("r%05d", i), Key: storetest.Key(i), Fields: fmt.Appendf(nil, `{"kind":%q,"year":%d}`, kind, 1900+i%120)})
	}
	if err := s.Put(ctx, "c", es, items); err != nil {
		t.Fatal(err)
	}
	if err := s.Index(ctx, "c"); err != nil {
		t.Fatal(err)
	}
}

func unitVec(v []float32) []float32 {
	var n float32
	for _, x := range v {
		n += x * x
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(float64(n)))
	}
	return v
}

// 10 results come back when only 1% of the records match: on pgvector the
// filter runs in the database (no scan of the collection by salvo), with
// iterative index scans or, without them, the exact query; on PostgreSQL
// 15 without pgvector, salvo's own scan filters first. (Before the filter
// went into SQL, pgvector collections were read whole for every filter.)
func TestWhereOnePercent(t *testing.T) {
	const n, dims, k = 3000, 16, 10
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		srv       func(testing.TB) *pgtest.Server
		iterative bool
		scans     int64
	}{
		{"PGlite+pgvector/iterative", pgtest.PGlite, true, 0},
		{"PGlite+pgvector/exact", pgtest.PGlite, false, 0},
		{"PostgreSQL", pgtest.PostgreSQL, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t, tc.srv(t))
			postgres.SetIterative(st, tc.iterative)
			fillRare(t, st, n, dims)
			s := &scanCounter{Store: st}
			c, err := search.Open(ctx, s, "c", search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			w, err := search.ParseWheres([]string{"kind = rare", "year >= 1900"}, "*")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				q := unitVec(storetest.Vector(i, dims))
				res, err := c.NearestWhere(ctx, q, k, "r00042", w)
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != k {
					t.Fatalf("query %d: %d results, want %d", i, len(res), k)
				}
				for _, r := range res {
					if !w.Match(search.DecodeFields(r.Fields)) || r.ID == "r00042" {
						t.Errorf("query %d: %s %s does not match or is excluded", i, r.ID, r.Fields)
					}
				}
			}
			if got := s.scans.Load(); got != tc.scans {
				t.Errorf("salvo read the whole collection %d times, want %d", got, tc.scans)
			}
		})
	}
}

// FuzzWhere compares the filters pgvector runs in SQL with salvo's own
// scan, over records with values that are hard to compare in SQL.
func FuzzWhere(f *testing.F) {
	s := open(f, pgtest.PGlite(f))
	storetest.FillWhere(f, s, "x")
	for _, e := range storetest.WhereExprs {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		storetest.CheckWhere(t, s, "x", expr)
	})
}

// A value the database cannot compare as salvo does (an object) among the
// results sends the search back to salvo's own scan, which answers.
func TestWhereFallsBack(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.PGlite(t))
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Keep: "*"}); err != nil {
		t.Fatal(err)
	}
	var items []salvo.Item
	for i := range 30 {
		items = append(items, salvo.Item{ID: fmt.Sprint("o", i), Key: storetest.Key(i), Fields: fmt.Appendf(nil, `{"v": {"a": %d}}`, i)})
	}
	if err := st.Put(ctx, "c", storetest.Entries(4, seeds(0, 30)...), items); err != nil {
		t.Fatal(err)
	}
	w, err := search.ParseWheres([]string{`v != x`}, "*")
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.SearchWhere(ctx, "c", unitVec([]float32{1, 2, 3, 4}), 10, "", w.Conds())
	var ue *postgres.UncertainFilterError
	if !errors.As(err, &ue) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("SearchWhere on objects: %v, want an UncertainFilterError", err)
	}
	s := &scanCounter{Store: st}
	c, err := search.Open(ctx, s, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.NearestWhere(ctx, unitVec([]float32{1, 2, 3, 4}), 10, "", w)
	if err != nil || len(res) != 10 || s.scans.Load() != 1 {
		t.Fatalf("NearestWhere: %d results, %v, %d scans; want 10 from one scan", len(res), err, s.scans.Load())
	}
}
