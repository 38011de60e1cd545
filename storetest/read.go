package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
)

// What salvo's search, similar, export and serve read back: how a
// collection was embedded, the kept fields and texts of its items, and its
// vectors all at once or one by one.

// testEmbedding checks that a collection remembers how it was embedded:
// set by an OpenCollection with an Endpoint, kept by one without (a reader
// such as salvo search), and listed by Collections.
func testEmbedding(t *testing.T, s salvo.Store) {
	ctx := context.Background()
	how := salvo.Collection{Name: "c", Model: "m", Template: "{{.title}}", Prefix: "search_document: ", Endpoint: "/api/embed",
		Dimensions: 256, Digest: "sha256:0123", Keep: "title,year"}
	got, err := s.OpenCollection(ctx, how)
	if err != nil || *got != how {
		t.Fatalf("OpenCollection(%+v) = %+v, %v; want it stored as given", how, got, err)
	}
	mustPut(t, s, "c", Entries(3, 1), []salvo.Item{{ID: "a", Key: Key(1)}})
	stored := how
	stored.Dims, stored.Count = 3, 1
	if got, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil || *got != stored {
		t.Errorf("reopened without an endpoint: %+v, %v; want %+v", got, err, stored)
	}
	if c := listed(t, s, "c"); c != stored {
		t.Errorf("Collections lists %+v, want %+v", c, stored)
	}
	// Another run with an endpoint says how it embeds, empty prefix and
	// all: everything is replaced.
	again := salvo.Collection{Name: "c", Model: "m", Endpoint: "/v1/embeddings", Digest: "sha256:4567"}
	want := salvo.Collection{Name: "c", Model: "m", Template: "{{.title}}", Endpoint: "/v1/embeddings", Digest: "sha256:4567", Dims: 3, Count: 1}
	if got, err := s.OpenCollection(ctx, again); err != nil || *got != want {
		t.Errorf("reopened with another endpoint: %+v, %v; want %+v", got, err, want)
	}
	if c := listed(t, s, "c"); c != want {
		t.Errorf("Collections lists %+v, want %+v", c, want)
	}
	// Without an endpoint nothing is taken from the caller, even when new.
	bare := salvo.Collection{Name: "d", Model: "m", Prefix: "p: ", Keep: "x"}
	if got, err := s.OpenCollection(ctx, bare); err != nil || *got != (salvo.Collection{Name: "d", Model: "m"}) {
		t.Errorf("OpenCollection(%+v) without an endpoint = %+v, %v; want nothing of how it is embedded", bare, got, err)
	}
}

// listed returns the collection as Collections lists it.
func listed(t *testing.T, s salvo.Store, name string) salvo.Collection {
	t.Helper()
	cs, err := s.Collections(context.Background())
	if err != nil {
		t.Fatalf("Collections: %v", err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("Collections does not list %q: %+v", name, cs)
	return salvo.Collection{}
}

// docReader returns s as a DocReader: kept fields and texts have no other
// way back out of a store.
func docReader(t *testing.T, s salvo.Store) salvo.DocReader {
	t.Helper()
	dr, ok := s.(salvo.DocReader)
	if !ok {
		t.Fatalf("%T does not implement salvo.DocReader: the kept fields and texts it stores could never be read back", s)
	}
	return dr
}

func docs(t *testing.T, s salvo.Store, coll string, ids ...string) []salvo.Doc {
	t.Helper()
	ds, err := docReader(t, s).Docs(context.Background(), coll, ids)
	if err != nil {
		t.Fatalf("Docs(%q, %q): %v", coll, ids, err)
	}
	if len(ds) != len(ids) {
		t.Fatalf("Docs(%q) of %d IDs returned %d", coll, len(ids), len(ds))
	}
	return ds
}

func sameDoc(a, b salvo.Doc) bool {
	return a.ID == b.ID && a.Text == b.Text && string(a.Fields) == string(b.Fields) && (a.Fields == nil) == (b.Fields == nil)
}

// testDocs checks that the kept fields come back byte for byte (their
// order is the order the user kept them in) with the embedded text, in
// the order asked, and that a Put with new fields replaces them.
func testDocs(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	es := Entries(3, 1, 2, 3)
	es[0].Text = "search_document: Ay"
	es[1].Text = "é ☃ \"quoted\"\nnew line"
	items := []salvo.Item{
		{ID: "b", Key: Key(2), Fields: []byte(`{"title":"Bee","genres":["a","b"],"note":"\u0000 é \"q\""}`)},
		{ID: "a", Key: Key(1), Fields: []byte(`{"year":1999,  "title":"Ay"}`)},
		{ID: "c", Key: Key(3)},
	}
	mustPut(t, s, "c", es, items)
	// The same content in another collection, with fields of its own.
	mustPut(t, s, "other", nil, []salvo.Item{{ID: "a", Key: Key(1), Fields: []byte(`{"title":"Other"}`)}})

	want := []salvo.Doc{
		{ID: "c", Text: "text 3"},
		{ID: "a", Text: es[0].Text, Fields: items[1].Fields},
		{ID: "zz"},
		{ID: "b", Text: es[1].Text, Fields: items[0].Fields},
		{ID: "a", Text: es[0].Text, Fields: items[1].Fields},
	}
	got := docs(t, s, "c", "c", "a", "zz", "b", "a")
	for i := range want {
		if !sameDoc(got[i], want[i]) {
			t.Errorf("Docs[%d] = %+v (fields %s), want %+v (fields %s)", i, got[i], got[i].Fields, want[i], want[i].Fields)
		}
	}
	if got := docs(t, s, "other", "a"); string(got[0].Fields) != `{"title":"Other"}` {
		t.Errorf("fields of a in the other collection: %s", got[0].Fields)
	}
	if got := docs(t, s, "c"); len(got) != 0 {
		t.Errorf("Docs of no IDs = %+v", got)
	}

	// New fields for the same content replace the old ones; no fields
	// remove them.
	mustPut(t, s, "c", nil, []salvo.Item{{ID: "c", Key: Key(3), Fields: []byte(`{"title":"See"}`)}, {ID: "a", Key: Key(1)}})
	got = docs(t, s, "c", "c", "a", "b")
	want = []salvo.Doc{{ID: "c", Text: "text 3", Fields: []byte(`{"title":"See"}`)}, {ID: "a", Text: es[0].Text}, want[3]}
	for i := range want {
		if !sameDoc(got[i], want[i]) {
			t.Errorf("after a Put with new fields: Docs[%d] = %+v (fields %s), want %+v (fields %s)", i, got[i], got[i].Fields, want[i], want[i].Fields)
		}
	}
	// New content with the same fields: the text follows the content.
	mustPut(t, s, "c", Entries(3, 4), []salvo.Item{{ID: "c", Key: Key(4), Fields: []byte(`{"title":"See"}`)}})
	if got := docs(t, s, "c", "c")[0]; got.Text != "text 4" || string(got.Fields) != `{"title":"See"}` {
		t.Errorf("after new content: %+v (fields %s)", got, got.Fields)
	}
	if c := count(t, s, "c"); c != 3 {
		t.Errorf("count = %d, want 3", c)
	}
}

// testDocsLarge asks for more IDs than any one statement should carry.
func testDocsLarge(t *testing.T, s salvo.Store) {
	const n = 12000
	mustOpen(t, s, "c", "m")
	seeds := make([]int, n)
	items := make([]salvo.Item, n)
	ids := make([]string, n)
	for i := range n {
		seeds[i] = i
		ids[n-1-i] = fmt.Sprintf("id-%05d", i)
		items[i] = salvo.Item{ID: ids[n-1-i], Key: Key(i), Fields: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	mustPut(t, s, "c", Entries(2, seeds...), items[:n-1]) // the last is not stored
	got := docs(t, s, "c", ids...)
	for j, d := range got {
		i := n - 1 - j
		want := salvo.Doc{ID: ids[j], Text: fmt.Sprint("text ", i), Fields: fmt.Appendf(nil, `{"n":%d}`, i)}
		if i == n-1 {
			want = salvo.Doc{ID: ids[j]}
		}
		if !sameDoc(d, want) {
			t.Fatalf("Docs[%d] = %+v (fields %s), want %+v (fields %s)", j, d, d.Fields, want, want.Fields)
		}
	}
}

// testVectors checks a VectorReader (for stores that have one) against
// Each: the same IDs in the same order, the same vectors bit for bit.
func testVectors(t *testing.T, s salvo.Store) {
	vr, ok := s.(salvo.VectorReader)
	if !ok {
		t.Skipf("%T has no salvo.VectorReader: salvo reads it with Each", s)
	}
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	mustOpen(t, s, "empty", "m")
	const n = 2500 // more than one page of Each
	seeds := make([]int, n)
	items := make([]salvo.Item, n)
	for i := range n {
		seeds[i] = i
		items[i] = salvo.Item{ID: fmt.Sprintf("r%05d", (i*7919)%n), Key: Key(i)}
	}
	items = append(items, salvo.Item{ID: "é", Key: Key(1)}, salvo.Item{ID: "Z", Key: Key(2)}, salvo.Item{ID: "~", Key: Key(3)})
	mustPut(t, s, "c", Entries(5, seeds...), items)
	mustPut(t, s, "other", Entries(5, n), []salvo.Item{{ID: "r00000", Key: Key(n)}})

	wantIDs, wantVecs := each(t, s, "c")
	ids, vecs, dims, err := vr.Vectors(ctx, "c")
	if err != nil {
		t.Fatalf("Vectors: %v", err)
	}
	if dims != 5 || len(ids) != len(wantIDs) || len(vecs) != len(ids)*dims {
		t.Fatalf("Vectors: %d IDs, %d floats, %d dims; want %d IDs × 5 dims", len(ids), len(vecs), dims, len(wantIDs))
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("Vectors' IDs differ from Each's order: %q… against %q…", ids[:5], wantIDs[:5])
	}
	for i, id := range ids {
		if !sameBits(vecs[i*dims:(i+1)*dims], wantVecs[id]) {
			t.Fatalf("vector of %q = %v, Each gives %v", id, vecs[i*dims:(i+1)*dims], wantVecs[id])
		}
	}
	if ids, vecs, _, err := vr.Vectors(ctx, "empty"); err != nil || len(ids) != 0 || len(vecs) != 0 {
		t.Errorf("Vectors of an empty collection = %d IDs, %d floats, %v", len(ids), len(vecs), err)
	}
	if ix, ok := s.(salvo.Indexer); ok {
		// What Index builds (SQLite's vector file, pgvector's index) changes
		// nothing Vectors gives, then or after later changes.
		if err := ix.Index(ctx, "c"); err != nil {
			t.Fatalf("Index: %v", err)
		}
		sameVectors(t, s, vr, "c", "after Index")
		mustPut(t, s, "c", Entries(5, n+1), []salvo.Item{{ID: "r00001", Key: Key(n + 1)}, {ID: "new", Key: Key(n + 1)}})
		sameVectors(t, s, vr, "c", "after Index and a Put")
		if p, ok := s.(salvo.Pruner); ok {
			if _, err := p.DeleteItems(ctx, "c", []string{"r00002"}); err != nil {
				t.Fatalf("DeleteItems: %v", err)
			}
			sameVectors(t, s, vr, "c", "after Index and DeleteItems")
		}
		if err := ix.Index(ctx, "c"); err != nil {
			t.Fatalf("Index: %v", err)
		}
		sameVectors(t, s, vr, "c", "after a second Index")
	}
}

// sameVectors checks Vectors against Each.
func sameVectors(t *testing.T, s salvo.Store, vr salvo.VectorReader, coll, when string) {
	t.Helper()
	wantIDs, wantVecs := each(t, s, coll)
	ids, vecs, dims, err := vr.Vectors(context.Background(), coll)
	if err != nil {
		t.Fatalf("Vectors %s: %v", when, err)
	}
	if !slices.Equal(ids, wantIDs) || len(vecs) != len(ids)*dims {
		t.Fatalf("Vectors %s: %d IDs, Each %d", when, len(ids), len(wantIDs))
	}
	for i, id := range ids {
		if !sameBits(vecs[i*dims:(i+1)*dims], wantVecs[id]) {
			t.Fatalf("Vectors %s: vector of %q = %v, Each gives %v", when, id, vecs[i*dims:(i+1)*dims], wantVecs[id])
		}
	}
}

// testItemVector checks an ItemVectorReader (for stores that have one)
// against Each.
func testItemVector(t *testing.T, s salvo.Store) {
	ir, ok := s.(salvo.ItemVectorReader)
	if !ok {
		t.Skipf("%T has no salvo.ItemVectorReader", s)
	}
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	mustPut(t, s, "c", Entries(4, 1, 2, 3), []salvo.Item{{ID: "a", Key: Key(1)}, {ID: "b", Key: Key(2)}, {ID: `q"u\o'te é`, Key: Key(3)}})
	mustPut(t, s, "other", Entries(4, 4), []salvo.Item{{ID: "z", Key: Key(4)}})
	_, vs := each(t, s, "c")
	for id, want := range vs {
		got, err := ir.ItemVector(ctx, "c", id)
		if err != nil || !sameBits(got, want) {
			t.Errorf("ItemVector(c, %q) = %v, %v; Each gives %v", id, got, err, want)
		}
	}
	for _, id := range []string{"z", "A", "", "nul\x00", "\xff"} {
		if got, err := ir.ItemVector(ctx, "c", id); err != nil || got != nil {
			t.Errorf("ItemVector(c, %q) of an ID not in the collection = %v, %v; want nil, nil", id, got, err)
		}
	}
	// A changed key changes the vector.
	mustPut(t, s, "c", Entries(4, 5), []salvo.Item{{ID: "a", Key: Key(5)}})
	if got, err := ir.ItemVector(ctx, "c", "a"); err != nil || !sameBits(got, Vector(5, 4)) {
		t.Errorf("ItemVector after a changed key = %v, %v; want %v", got, err, Vector(5, 4))
	}
	if _, err := ir.ItemVector(ctx, "nope", "a"); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("ItemVector of a missing collection: err = %v, want one wrapping ErrNoCollection", err)
	}
}
