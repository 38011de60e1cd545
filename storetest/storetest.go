// Package storetest is the conformance suite every [salvo.Store] runs: the
// behaviour salvo's engine relies on, checked the same way for each backend.
//
// A backend's test calls [Run] with a function that opens a fresh, empty
// store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) salvo.Store {
//			s, err := sqlite.Open(filepath.Join(t.TempDir(), "salvo.db"))
//			if err != nil { t.Fatal(err) }
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// and its benchmarks call [BenchmarkLookup] and [BenchmarkPut].
//
// A store implements the whole required contract, [salvo.FullStore]: besides
// [salvo.Store], [salvo.DocReader] (the kept fields and texts have no other
// way out), [salvo.CacheReader] (CachedVectors), [salvo.RunLedger]
// (RecordRun, Runs) and [salvo.Describer]; the suite fails for a store that
// lacks one ([Missing] names them). [salvo.VectorReader] and
// [salvo.ItemVectorReader] are optional, and checked against Each when a
// store has them; [salvo.Pruner], [salvo.Aliaser] (aliases and
// DropCollection), [salvo.Collector] and [salvo.TextSearcher] (against
// the texts and fields stored) are optional too, and checked where a store
// has them.
//
// Record IDs in the suite are valid UTF-8 without NUL bytes, which is what
// every backend can store as text, and vectors are finite (salvo's engine
// refuses NaN and infinities before they reach a store; pgvector refuses
// them too). Packages sqlite and postgres run it, the latter on PostgreSQL
// with and without pgvector.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
)

// Run runs the conformance suite; open must return a new, empty store,
// closed by a t.Cleanup it registers.
func Run(t *testing.T, open func(t *testing.T) salvo.Store) {
	t.Run("Required", func(t *testing.T) { testRequired(t, open(t)) })
	t.Run("Collection", func(t *testing.T) { testCollection(t, open(t)) })
	t.Run("NoCollection", func(t *testing.T) { testNoCollection(t, open(t)) })
	t.Run("Lookup", func(t *testing.T) { testLookup(t, open(t)) })
	t.Run("LookupLarge", func(t *testing.T) { testLookupLarge(t, open(t)) })
	t.Run("ChangedKey", func(t *testing.T) { testChangedKey(t, open(t)) })
	t.Run("PutAtomic", func(t *testing.T) { testPutAtomic(t, open(t)) })
	t.Run("SharedCache", func(t *testing.T) { testSharedCache(t, open(t)) })
	t.Run("SameKeyTwice", func(t *testing.T) { testSameKeyTwice(t, open(t)) })
	t.Run("EachOrder", func(t *testing.T) { testEachOrder(t, open(t)) })
	t.Run("EachStops", func(t *testing.T) { testEachStops(t, open(t)) })
	t.Run("Collections", func(t *testing.T) { testCollections(t, open(t)) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Embedding", func(t *testing.T) { testEmbedding(t, open(t)) })
	t.Run("Docs", func(t *testing.T) { testDocs(t, open(t)) })
	t.Run("DocsLarge", func(t *testing.T) { testDocsLarge(t, open(t)) })
	t.Run("Vectors", func(t *testing.T) { testVectors(t, open(t)) })
	t.Run("ItemVector", func(t *testing.T) { testItemVector(t, open(t)) })
	t.Run("DeleteItems", func(t *testing.T) { testDeleteItems(t, open(t)) })
	t.Run("Aliases", func(t *testing.T) { testAliases(t, open(t)) })
	t.Run("DropCollection", func(t *testing.T) { testDropCollection(t, open(t)) })
	t.Run("TextSearch", func(t *testing.T) { testTextSearch(t, open(t)) })
	t.Run("TextSearchMany", func(t *testing.T) { testTextSearchMany(t, open(t)) })
	t.Run("TextSearchOnce", func(t *testing.T) { testTextSearchOnce(t, open(t)) })
	t.Run("Chunks", func(t *testing.T) { testChunks(t, open(t)) })
	t.Run("TextSearchChunks", func(t *testing.T) { testTextSearchChunks(t, open(t)) })
	t.Run("WordsIndexer", func(t *testing.T) { testWordsIndexer(t, open(t)) })
	t.Run("Collect", func(t *testing.T) { testCollect(t, open(t)) })
	t.Run("CollectWhilePutting", func(t *testing.T) { testCollectWhilePutting(t, open(t)) })
	t.Run("CollectKeepsPieces", func(t *testing.T) { testCollectKeepsPieces(t, open(t)) })
	t.Run("DropChunked", func(t *testing.T) { testDropChunked(t, open(t)) })
	t.Run("CachedVectors", func(t *testing.T) { testCachedVectors(t, open(t)) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, open(t)) })
	t.Run("Describer", func(t *testing.T) { testDescriber(t, open(t)) })
	t.Run("SearchWhere", func(t *testing.T) { testSearchWhere(t, open(t)) })
	t.Run("WhereExact", func(t *testing.T) { testWhereExact(t, open(t)) })
}

// Key returns a distinct key for n, as tests need many.
func Key(n int) salvo.Key {
	return salvo.KeySpec{Model: "storetest"}.Key(fmt.Sprint(n))
}

// Vector returns a dims-long vector that differs for each seed.
func Vector(seed, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(seed) + float32(i)/float32(dims)
	}
	return v
}

// Entries returns one entry per seed, keyed by Key(seed).
func Entries(dims int, seeds ...int) []salvo.Entry {
	es := make([]salvo.Entry, len(seeds))
	for i, n := range seeds {
		es[i] = salvo.Entry{Key: Key(n), Vector: Vector(n, dims), Text: fmt.Sprint("text ", n)}
	}
	return es
}

func mustOpen(t testing.TB, s salvo.Store, name, model string) *salvo.Collection {
	t.Helper()
	c, err := s.OpenCollection(context.Background(), salvo.Collection{Name: name, Model: model})
	if err != nil {
		t.Fatalf("OpenCollection(%q): %v", name, err)
	}
	return c
}

func mustPut(t testing.TB, s salvo.Store, coll string, es []salvo.Entry, items []salvo.Item) {
	t.Helper()
	if err := s.Put(context.Background(), coll, es, items); err != nil {
		t.Fatalf("Put(%q, %d entries, %d items): %v", coll, len(es), len(items), err)
	}
}

func lookup(t *testing.T, s salvo.Store, coll string, items []salvo.Item) []salvo.Presence {
	t.Helper()
	out := make([]salvo.Presence, len(items))
	for i := range out {
		out[i] = salvo.Presence(99) // Lookup must set every answer
	}
	if err := s.Lookup(context.Background(), coll, items, out); err != nil {
		t.Fatalf("Lookup(%q): %v", coll, err)
	}
	return out
}

// each returns the collection's IDs in the order Each gives them, and their
// vectors.
func each(t *testing.T, s salvo.Store, coll string) ([]string, map[string][]float32) {
	t.Helper()
	var ids []string
	vs := map[string][]float32{}
	err := s.Each(context.Background(), coll, func(id string, v []float32) error {
		ids = append(ids, id)
		vs[id] = v
		return nil
	})
	if err != nil {
		t.Fatalf("Each(%q): %v", coll, err)
	}
	return ids, vs
}

func count(t *testing.T, s salvo.Store, coll string) int {
	t.Helper()
	return listed(t, s, coll).Count
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func testCollection(t *testing.T, s salvo.Store) {
	ctx := context.Background()
	c, err := s.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}}"})
	if err != nil {
		t.Fatal(err)
	}
	want := salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}}"}
	if *c != want {
		t.Fatalf("new collection = %+v, want %+v", *c, want)
	}
	mustPut(t, s, "movies", Entries(3, 1, 2), []salvo.Item{{ID: "a", Key: Key(1)}, {ID: "b", Key: Key(2)}})

	tests := []struct {
		name string
		in   salvo.Collection
		want salvo.Collection
	}{
		{"reopen", salvo.Collection{Name: "movies", Model: "m1"},
			salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}}", Dims: 3, Count: 2}},
		{"new template", salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}} {{.year}}"},
			salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}} {{.year}}", Dims: 3, Count: 2}},
		{"empty template keeps it", salvo.Collection{Name: "movies", Model: "m1"},
			salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}} {{.year}}", Dims: 3, Count: 2}},
		{"same dims", salvo.Collection{Name: "movies", Model: "m1", Dims: 3},
			salvo.Collection{Name: "movies", Model: "m1", Template: "{{.title}} {{.year}}", Dims: 3, Count: 2}},
		{"another", salvo.Collection{Name: "books", Model: "m2", Dims: 5},
			salvo.Collection{Name: "books", Model: "m2"}},
	}
	for _, tt := range tests {
		c, err := s.OpenCollection(ctx, tt.in)
		if err != nil {
			t.Fatalf("%s: OpenCollection(%+v): %v", tt.name, tt.in, err)
		}
		if *c != tt.want {
			t.Errorf("%s: OpenCollection(%+v) = %+v, want %+v", tt.name, tt.in, *c, tt.want)
		}
	}

	_, err = s.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "m2"})
	var mm *salvo.ModelMismatchError
	if !errors.As(err, &mm) || *mm != (salvo.ModelMismatchError{Collection: "movies", Have: "m1", Want: "m2"}) {
		t.Errorf("OpenCollection with another model: err = %v, want a *ModelMismatchError{movies, m1, m2}", err)
	}
	_, err = s.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "m1", Dims: 4})
	var de *salvo.DimensionError
	if !errors.As(err, &de) || *de != (salvo.DimensionError{Collection: "movies", Have: 4, Want: 3}) {
		t.Errorf("OpenCollection with other dims: err = %v, want a *DimensionError{movies, 4, 3}", err)
	}
	for _, bad := range []salvo.Collection{{Model: "m1"}, {Name: "x"}} {
		if _, err := s.OpenCollection(ctx, bad); err == nil {
			t.Errorf("OpenCollection(%+v) succeeded, want an error", bad)
		}
	}
}

func testNoCollection(t *testing.T, s salvo.Store) {
	ctx := context.Background()
	items := []salvo.Item{{ID: "a", Key: Key(1)}}
	calls := map[string]func() error{
		"Lookup": func() error { return s.Lookup(ctx, "nope", items, make([]salvo.Presence, 1)) },
		"Put":    func() error { return s.Put(ctx, "nope", Entries(3, 1), items) },
		"Each":   func() error { return s.Each(ctx, "nope", func(string, []float32) error { return nil }) },
		"Docs": func() error {
			_, err := docReader(t, s).Docs(ctx, "nope", []string{"a"})
			return err
		},
	}
	if vr, ok := s.(salvo.VectorReader); ok {
		calls["Vectors"] = func() error {
			_, _, _, err := vr.Vectors(ctx, "nope")
			return err
		}
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, salvo.ErrNoCollection) {
			t.Errorf("%s on a missing collection: err = %v, want one wrapping ErrNoCollection", name, err)
		}
	}
}

func testLookup(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	mustPut(t, s, "c", Entries(4, 1, 2, 3), []salvo.Item{{ID: "one", Key: Key(1)}, {ID: `q"u\o'te`, Key: Key(3)}})
	tests := []struct {
		item salvo.Item
		want salvo.Presence
	}{
		{salvo.Item{ID: "one", Key: Key(1)}, salvo.Stored},
		{salvo.Item{ID: "one", Key: Key(2)}, salvo.Cached},  // text changed, new text cached
		{salvo.Item{ID: "one", Key: Key(9)}, salvo.Missing}, // text changed, never seen
		{salvo.Item{ID: "two", Key: Key(1)}, salvo.Cached},  // same text, new ID
		{salvo.Item{ID: "two", Key: Key(2)}, salvo.Cached},
		{salvo.Item{ID: "two", Key: Key(9)}, salvo.Missing},
		{salvo.Item{ID: `q"u\o'te`, Key: Key(3)}, salvo.Stored},
		{salvo.Item{ID: "one", Key: Key(1)}, salvo.Stored}, // the same item twice in a call
		{salvo.Item{ID: "ONE", Key: Key(1)}, salvo.Cached}, // IDs are case-sensitive
		{salvo.Item{ID: "é ☃ <&>", Key: Key(9)}, salvo.Missing},
	}
	items := make([]salvo.Item, len(tests))
	for i, tt := range tests {
		items[i] = tt.item
	}
	got := lookup(t, s, "c", items)
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("item %d (ID %q, key %d…): presence %d, want %d", i, tt.item.ID, tt.item.Key[0], got[i], tt.want)
		}
	}
	if got := lookup(t, s, "c", nil); len(got) != 0 {
		t.Errorf("Lookup of no items = %v", got)
	}
}

// testLookupLarge checks calls larger than any one statement's parameter
// limit and items in many pages.
func testLookupLarge(t *testing.T, s salvo.Store) {
	const n = 3000
	mustOpen(t, s, "c", "m")
	var (
		es    []salvo.Entry
		items []salvo.Item
		all   []salvo.Item
	)
	for i := range n {
		it := salvo.Item{ID: fmt.Sprintf("id-%05d", i), Key: Key(i)}
		all = append(all, it)
		switch i % 3 {
		case 0: // stored
			es = append(es, Entries(2, i)...)
			items = append(items, it)
		case 1: // cached only
			es = append(es, Entries(2, i)...)
		}
	}
	mustPut(t, s, "c", es, items)
	got := lookup(t, s, "c", all)
	for i, p := range got {
		want := []salvo.Presence{salvo.Stored, salvo.Cached, salvo.Missing}[i%3]
		if p != want {
			t.Fatalf("item %d: presence %d, want %d", i, p, want)
		}
	}
	if c := count(t, s, "c"); c != n/3 {
		t.Errorf("count = %d, want %d", c, n/3)
	}
}

func testChangedKey(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	mustPut(t, s, "c", Entries(4, 1), []salvo.Item{{ID: "x", Key: Key(1)}})
	mustPut(t, s, "c", Entries(4, 2), []salvo.Item{{ID: "x", Key: Key(2)}})
	got := lookup(t, s, "c", []salvo.Item{{ID: "x", Key: Key(2)}, {ID: "x", Key: Key(1)}})
	if want := []salvo.Presence{salvo.Stored, salvo.Cached}; !slices.Equal(got, want) {
		t.Errorf("after a changed key: presences %v, want %v", got, want)
	}
	ids, vs := each(t, s, "c")
	if len(ids) != 1 || !sameBits(vs["x"], Vector(2, 4)) {
		t.Errorf("Each after a changed key = %v, want x with the new vector", vs)
	}
	if c := count(t, s, "c"); c != 1 {
		t.Errorf("count = %d, want 1", c)
	}
}
