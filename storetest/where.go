package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
)

// filterSearcher returns s as a [salvo.FilterSearcher] when it filters in
// the store for collection coll (PostgreSQL with pgvector), else skips.
func filterSearcher(t testing.TB, s salvo.Store, coll string) salvo.FilterSearcher {
	t.Helper()
	fs, ok := s.(salvo.FilterSearcher)
	if !ok {
		t.Skipf("%T does not filter in the store", s)
	}
	if _, err := fs.SearchWhere(context.Background(), coll, []float32{1, 0}, 1, "", []salvo.Cond{{Field: "x", Op: "=", Values: []string{"1"}}}); errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("%T does not filter in the store here: %v", s, err)
	}
	return fs
}

// unitVector is a random unit vector of dims dimensions.
func unitVector(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(n))
	}
	return v
}

// testSearchWhere: with 1% of the records matching, a filtered search
// returns k of them, nearest first, on the store's index too.
func testSearchWhere(t *testing.T, s salvo.Store) {
	ctx := context.Background()
	const n, dims, k = 2000, 16, 10
	mustOpen(t, s, "w", "m")
	fs := filterSearcher(t, s, "w")
	r := rand.New(rand.NewPCG(1, 2))
	vecs := make(map[string][]float32, n)
	for start := 0; start < n; start += 500 {
		var (
			es    []salvo.Entry
			items []salvo.Item
		)
		for i := start; i < start+500; i++ {
			kind := "common"
			if i%100 == 7 {
				kind = "rare"
			}
			id := fmt.Sprintf("r%04d", i)
			vecs[id] = unitVector(r, dims)
			es = append(es, salvo.Entry{Key: Key(i), Vector: vecs[id]})
			items = append(items, salvo.Item{ID: id, Key: Key(i), Fields: fmt.Appendf(nil, `{"kind":%q,"n":%d,"tags":["t%d","x"]}`, kind, i, i%100)})
		}
		mustPut(t, s, "w", es, items)
	}
	if ix, ok := s.(salvo.Indexer); ok {
		if err := ix.Index(ctx, "w"); err != nil {
			t.Fatal(err)
		}
	}
	for _, where := range [][]salvo.Cond{
		{{Field: "kind", Op: "=", Values: []string{"rare"}}},
		{{Field: "tags", Op: "in", Values: []string{"t7", "t99"}}, {Field: "n", Op: "<", Values: []string{"1000"}}},
	} {
		want := 0
		for id := range vecs {
			if matches(where, id) {
				want++
			}
		}
		q := unitVector(r, dims)
		hits, err := fs.SearchWhere(ctx, "w", q, k, "r0007", where)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != min(k, want-1) {
			t.Fatalf("%v: %d hits, want %d (%d records match, one excluded)", where, len(hits), min(k, want-1), want)
		}
		for i, h := range hits {
			if h.ID == "r0007" || !matches(where, h.ID) {
				t.Errorf("%v: hit %s does not match or is excluded", where, h.ID)
			}
			if i > 0 && h.Score > hits[i-1].Score {
				t.Errorf("%v: hits out of order: %v", where, hits)
			}
		}
	}
}

// matches is the filter of testSearchWhere for record id, from its number.
func matches(where []salvo.Cond, id string) bool {
	var i int
	fmt.Sscanf(id, "r%d", &i)
	kind := "common"
	if i%100 == 7 {
		kind = "rare"
	}
	w := make(search.Where, len(where))
	for j, c := range where {
		w[j] = search.Cond(c)
	}
	return w.Match(map[string]any{"kind": kind, "n": float64(i), "tags": []any{fmt.Sprintf("t%d", i%100), "x"}})
}

// WhereValues are the values of field v in the records of [FillWhere]:
// numbers in several notations, numbers as strings, strings, lists; the
// values of field odd are those a store may not compare as salvo does
// (out of float8's range, words Go reads as numbers, letters beyond
// ASCII, objects, \u0000).
var (
	WhereValues = []string{
		`1999`, `"1999"`, `1.0e3`, `1000`, `-0`, `2000.50`, `0.1`, `" 12"`, `"12abc"`, `"KELVIN"`,
		`""`, `"a\"b"`, `"zeta"`, `"Sci-Fi"`, `null`, `true`, `false`, `[]`, `[null, "x"]`,
		`[1990, 2005]`, `["Drama", "Sci-Fi"]`, `"tab\there"`, `"2001: A Space Odyssey"`,
	}
	OddValues = []string{
		`1e400`, `1e-400`, `"inf"`, `"NaN"`, `"0x1p3"`, `"1_000"`, `"Élan"`, `"straße"`, `"İstanbul"`,
		`"\u212aelvin"`, `[["a"]]`, `{"a": 1}`, `12`, `"plain"`,
	}
)

// WhereExprs are filters that [CheckWhere] compares; a seed corpus.
var WhereExprs = []string{
	`v = 1999`, `v != 1999`, `v < 2000`, `v <= "1999"`, `v > abc`, `v >= 0`, `v ~ e`, `v ~ É`,
	`v ~ k`, `v in (1999, "Sci-Fi", true)`, `v = true`, `v = nan`, `v < inf`, `v > -inf`,
	`v = 1e3`, `v = 1000`, `v != ""`, `v ~ ""`, `v = 0`, `v < 1_000`, `v >= 0x1p3`, `v ~ sci`,
	`v != Drama`, `v in (Drama, x)`, `v = x`, `v < 2001`, `v > "2001"`, `v ~ 19`, `v = "a\"b"`,
	`year >= 2000`, `year < 1960.5`, `genres ~ sci`, `genres != Drama`, `genres in (Drama, Comedy)`,
	`absent = 1`, `absent != 1`, `v >= " 12"`, `v = -0`, `v < 0.1`, `odd ~ ß`, `odd ~ i̇`, `odd ~ k`,
	`odd < 1e300`, `odd = inf`, `odd > 5`, `odd = plain`, `odd ~ a`, `odd != x`, `odd in (8, 1000)`,
}

// FillWhere stores the records of the filter checks in collection coll:
// one per value of [WhereValues] in field v, with year and genres.
func FillWhere(tb testing.TB, s salvo.Store, coll string) {
	tb.Helper()
	mustOpen(tb, s, coll, "m")
	r := rand.New(rand.NewPCG(3, 4))
	var (
		es    []salvo.Entry
		items []salvo.Item
	)
	genres := []string{"Drama", "Comedy", "Sci-Fi", "Horror"}
	for i := range 3 * len(WhereValues) {
		v := WhereValues[i%len(WhereValues)]
		odd := OddValues[i%len(OddValues)]
		fields := fmt.Sprintf(`{"v": %s, "odd": %s, "year": %d, "genres": [%q, %q]}`, v, odd, 1950+i, genres[i%4], genres[i/4%4])
		if i%7 == 3 {
			fields = `{"year": null}`
		}
		es = append(es, salvo.Entry{Key: Key(i), Vector: unitVector(r, 8)})
		items = append(items, salvo.Item{ID: fmt.Sprintf("w%03d", i), Key: Key(i), Fields: []byte(fields)})
	}
	mustPut(tb, s, coll, es, items)
}

// CheckWhere compares the store's filtered search for expr over the
// records of [FillWhere] with salvo's own scan (search.Where.Match on
// every record, ranked exactly). It reports whether the store decided
// (false when it refused with errors.ErrUnsupported, or expr does not
// parse).
func CheckWhere(tb testing.TB, s salvo.Store, coll, expr string) bool {
	tb.Helper()
	ctx := context.Background()
	c, err := search.ParseWhere(expr)
	if err != nil {
		return false
	}
	w := search.Where{c}
	fs := filterSearcher(tb, s, coll)
	ids, vecs, dims, err := s.(salvo.VectorReader).Vectors(ctx, coll)
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := s.(salvo.DocReader).Docs(ctx, coll, ids)
	if err != nil {
		tb.Fatal(err)
	}
	q := unitVector(rand.New(rand.NewPCG(uint64(len(expr)), 5)), dims)
	type scored struct {
		id    string
		score float64
	}
	var want []scored
	for i, d := range docs {
		if w.Match(search.DecodeFields(d.Fields)) {
			var dot float64
			for j, x := range vecs[i*dims : (i+1)*dims] {
				dot += float64(x) * float64(q[j])
			}
			want = append(want, scored{d.ID, dot})
		}
	}
	slices.SortFunc(want, func(a, b scored) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id)) })
	hits, err := fs.SearchWhere(ctx, coll, q, len(ids), "", w.Conds())
	if errors.Is(err, errors.ErrUnsupported) {
		return false
	}
	if err != nil {
		tb.Fatalf("%s: %v", expr, err)
	}
	got := make([]string, len(hits))
	for i, h := range hits {
		got[i] = h.ID
	}
	wantIDs := make([]string, len(want))
	for i, x := range want {
		wantIDs[i] = x.id
	}
	if !slices.Equal(got, wantIDs) {
		tb.Errorf("%s: the store finds %v, salvo's scan %v", expr, got, wantIDs)
	}
	return true
}

// testWhereExact: the store's filters agree with salvo's own scan on
// every operator and on values that are hard to compare in SQL, and
// decide most of them without falling back.
func testWhereExact(t *testing.T, s salvo.Store) {
	FillWhere(t, s, "x")
	filterSearcher(t, s, "x")
	decided := 0
	exprs := append([]string{}, WhereExprs...)
	r := rand.New(rand.NewPCG(5, 6))
	ops := []string{"=", "!=", "<", "<=", ">", ">=", "~"}
	vals := []string{"1999", "1000", "x", "Sci", "z", "-1", "inf", `""`, "true", "0.5", "drama", "2001: A"}
	for range 60 {
		f := []string{"v", "year", "genres", "odd"}[r.IntN(4)]
		if r.IntN(5) == 0 {
			exprs = append(exprs, fmt.Sprintf("%s in (%s, %s)", f, vals[r.IntN(len(vals))], vals[r.IntN(len(vals))]))
			continue
		}
		exprs = append(exprs, fmt.Sprintf("%s %s %s", f, ops[r.IntN(len(ops))], vals[r.IntN(len(vals))]))
	}
	for _, e := range exprs {
		if CheckWhere(t, s, "x", e) {
			decided++
		}
	}
	if decided < len(exprs)/2 {
		t.Errorf("the store decided %d of %d filters itself; it falls back too often", decided, len(exprs))
	}
	// A string holding \u0000, which PostgreSQL cannot read as text: the
	// store refuses rather than fail or answer wrongly.
	mustPut(t, s, "x", []salvo.Entry{{Key: Key(9999), Vector: unitVector(r, 8)}},
		[]salvo.Item{{ID: "nul", Key: Key(9999), Fields: []byte(`{"v": "a\u0000b"}`)}})
	if CheckWhere(t, s, "x", "v = 1999") {
		t.Log("the store filters a collection with \\u0000 in a kept field")
	}
}
