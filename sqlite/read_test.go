package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

func TestVectorsAndDocs(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "salvo.db"))
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	entries := storetest.Entries(3, 1, 2, 3)
	for i := range entries {
		entries[i].Text = "text " + string(rune('A'+i))
	}
	items := []salvo.Item{
		{ID: "b", Key: storetest.Key(2), Fields: []byte(`{"title":"Bee"}`)},
		{ID: "a", Key: storetest.Key(1), Fields: []byte(`{"title":"Ay","year":1999}`)},
		{ID: "c", Key: storetest.Key(3)},
	}
	if err := s.Put(ctx, "c", entries, items); err != nil {
		t.Fatal(err)
	}
	ids, vecs, dims, err := s.Vectors(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"a", "b", "c"}) || dims != 3 || len(vecs) != 9 {
		t.Fatalf("Vectors = %v, %d floats, %d dims; want a, b, c × 3", ids, len(vecs), dims)
	}
	for i, seed := range []int{1, 2, 3} {
		if want := storetest.Entries(3, seed)[0].Vector; !slices.Equal(vecs[i*3:i*3+3], want) {
			t.Errorf("vector of %s = %v, want %v", ids[i], vecs[i*3:i*3+3], want)
		}
	}
	docs, err := s.Docs(ctx, "c", []string{"c", "a", "zz", "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []salvo.Doc{
		{ID: "c", Text: "text C"},
		{ID: "a", Text: "text A", Fields: []byte(`{"title":"Ay","year":1999}`)},
		{ID: "zz"},
		{ID: "b", Text: "text B", Fields: []byte(`{"title":"Bee"}`)},
	}
	for i := range want {
		if docs[i].ID != want[i].ID || docs[i].Text != want[i].Text || string(docs[i].Fields) != string(want[i].Fields) {
			t.Errorf("Docs[%d] = %+v, want %+v", i, docs[i], want[i])
		}
	}
	// New fields for the same content replace the old ones.
	if err := s.Put(ctx, "c", nil, []salvo.Item{{ID: "c", Key: storetest.Key(3), Fields: []byte(`{"title":"See"}`)}}); err != nil {
		t.Fatal(err)
	}
	if docs, _ := s.Docs(ctx, "c", []string{"c"}); string(docs[0].Fields) != `{"title":"See"}` {
		t.Errorf("after a Put with new fields: %+v", docs[0])
	}
	if _, _, _, err := s.Vectors(ctx, "nope"); err == nil {
		t.Error("Vectors of a missing collection: no error")
	}
}

// Large collections are read in parts on several connections: the parts
// join up in ID order.
func TestVectorsInParts(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "salvo.db"))
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	seeds := make([]int, n)
	items := make([]salvo.Item, n)
	for i := range n {
		seeds[i] = i
		items[i] = salvo.Item{ID: fmt.Sprintf("r%05d", n-1-i), Key: storetest.Key(i)}
	}
	if err := s.Put(ctx, "c", storetest.Entries(2, seeds...), items); err != nil {
		t.Fatal(err)
	}
	ids, vecs, dims, err := s.Vectors(ctx, "c")
	if err != nil || len(ids) != n || dims != 2 {
		t.Fatalf("Vectors: %d IDs, %d dims, %v", len(ids), dims, err)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("r%05d", i); id != want {
			t.Fatalf("ids[%d] = %q, want %q", i, id, want)
		}
		want := storetest.Entries(2, n-1-i)[0].Vector
		if !slices.Equal(vecs[2*i:2*i+2], want) {
			t.Fatalf("vector of %s = %v, want %v", id, vecs[2*i:2*i+2], want)
		}
	}
}

func TestCollectionRemembersHowItWasEmbedded(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "salvo.db"))
	how := salvo.Collection{Name: "c", Model: "m", Prefix: "search_document: ", Endpoint: "/api/embed", Dimensions: 256, Digest: "sha256:1", Keep: "title,year"}
	got, err := s.OpenCollection(ctx, how)
	if err != nil || *got != how {
		t.Fatalf("OpenCollection = %+v, %v; want %+v", got, err, how)
	}
	// Without an endpoint (a caller that only reads): kept.
	got, err = s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"})
	if err != nil || got.Prefix != how.Prefix || got.Endpoint != how.Endpoint || got.Keep != how.Keep || got.Dimensions != 256 || got.Digest != "sha256:1" {
		t.Errorf("reopened without an endpoint: %+v, %v", got, err)
	}
	// With one: replaced, the prefix included when it is now empty.
	got, err = s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "/v1/embeddings"})
	if err != nil || got.Prefix != "" || got.Endpoint != "/v1/embeddings" || got.Keep != "" {
		t.Errorf("reopened with another endpoint: %+v, %v", got, err)
	}
	cs, err := s.Collections(ctx)
	if err != nil || len(cs) != 1 || cs[0].Endpoint != "/v1/embeddings" {
		t.Errorf("Collections = %+v, %v", cs, err)
	}
}

// A database written by the previous schema (version 1) opens, keeps its
// vectors and gains the new columns.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE collections (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, model TEXT NOT NULL,
			dims INTEGER NOT NULL DEFAULT 0, template TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
		`CREATE TABLE cache (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE CHECK (length(key) = 32), dims INTEGER NOT NULL,
			vector BLOB NOT NULL CHECK (length(vector) = 4 * dims), text TEXT NOT NULL DEFAULT '')`,
		`CREATE TABLE items (collection_id INTEGER NOT NULL REFERENCES collections (id), id TEXT NOT NULL,
			cache_id INTEGER NOT NULL REFERENCES cache (id), updated_at INTEGER NOT NULL, PRIMARY KEY (collection_id, id)) WITHOUT ROWID`,
		`CREATE TABLE runs (id INTEGER PRIMARY KEY, collection TEXT NOT NULL, model TEXT NOT NULL, started_at INTEGER NOT NULL,
			finished_at INTEGER NOT NULL, stats TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(stats)), args TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(args)))`,
		`CREATE INDEX runs_by_collection ON runs (collection, started_at)`,
		`INSERT INTO collections VALUES (1, 'old', 'm', 2, '{{.title}}', 0, 0)`,
		`INSERT INTO cache VALUES (1, zeroblob(32), 2, x'0000803f00000000', 'Old text')`,
		`INSERT INTO items VALUES (1, 'x', 1, 0)`,
		`PRAGMA application_id = 1396788310`,
		`PRAGMA user_version = 1`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s := openAt(t, path)
	ids, vecs, _, err := s.Vectors(ctx, "old")
	if err != nil || !slices.Equal(ids, []string{"x"}) || !slices.Equal(vecs, []float32{1, 0}) {
		t.Errorf("after the upgrade: Vectors = %v %v, %v", ids, vecs, err)
	}
	docs, err := s.Docs(ctx, "old", []string{"x"})
	if err != nil || docs[0].Text != "Old text" || docs[0].Fields != nil {
		t.Errorf("after the upgrade: Docs = %+v, %v", docs, err)
	}
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "old", Model: "m", Endpoint: "/api/embed", Prefix: "p: "}); err != nil {
		t.Errorf("after the upgrade: %v", err)
	}
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != sqlite.SchemaVersion {
		t.Errorf("user_version %d, %v; want %d", v, err, sqlite.SchemaVersion)
	}
}
