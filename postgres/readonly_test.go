package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

func withSchema(tb testing.TB, rawURL, schema string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenReadOnly of a schema that does not exist creates nothing (Open used
// to be the only way, and it created the schema and its tables) and says
// where it looked, schema included.
func TestOpenReadOnlyMissingSchema(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	schema := fmt.Sprintf("embeddings_%d", os.Getpid())
	rawURL := withSchema(t, srv.URL, schema)
	before := srv.Catalog(t)
	_, err := postgres.OpenReadOnly(context.Background(), rawURL)
	var ns *salvo.NoSchemaError
	if !errors.As(err, &ns) {
		t.Fatalf("OpenReadOnly of a missing schema: %v, want a NoSchemaError", err)
	}
	if !strings.Contains(ns.Where, "schema="+schema) || !strings.Contains(err.Error(), "schema="+schema) {
		t.Errorf("the error leaves the schema out: %v", err)
	}
	if after := srv.Catalog(t); after != before {
		t.Errorf("OpenReadOnly changed the catalog:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// An empty schema the user made is no salvo schema either.
	empty := srv.Fresh(t)
	before = srv.Catalog(t)
	if _, err := postgres.OpenReadOnly(context.Background(), empty); !errors.As(err, &ns) {
		t.Errorf("OpenReadOnly of an empty schema: %v, want a NoSchemaError", err)
	}
	if after := srv.Catalog(t); after != before {
		t.Errorf("OpenReadOnly changed the catalog:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// Reading a salvo schema through OpenReadOnly leaves the catalog as it was
// (no temporary staging tables, no index), and writes are refused, by the
// store and by the server.
func TestOpenReadOnlyReads(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.PostgreSQL(t)
	rawURL := srv.Fresh(t)
	w, err := postgres.Open(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, "c", storetest.Entries(2, 1, 2), []salvo.Item{{ID: "a", Key: storetest.Key(1)}, {ID: "b", Key: storetest.Key(2)}}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	before := srv.Catalog(t)
	s, err := postgres.OpenReadOnly(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Path(), "schema=") {
		t.Errorf("Path %q leaves the schema out", s.Path())
	}
	colls, err := s.Collections(ctx)
	if err != nil || len(colls) != 1 || colls[0].Count != 2 {
		t.Fatalf("Collections = %+v, %v", colls, err)
	}
	n := 0
	if err := s.Each(ctx, "c", func(string, []float32) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("Each: %d, %v", n, err)
	}
	if _, _, _, err := s.Vectors(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Docs(ctx, "c", []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Runs(ctx, "", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "new", Model: "m"}); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("OpenCollection: %v, want ErrReadOnly", err)
	}
	if err := s.Put(ctx, "c", storetest.Entries(2, 3), []salvo.Item{{ID: "c", Key: storetest.Key(3)}}); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("Put: %v, want ErrReadOnly", err)
	}
	if err := s.RecordRun(ctx, salvo.RunRecord{Collection: "c"}); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("RecordRun: %v, want ErrReadOnly", err)
	}
	s.Close()
	if after := srv.Catalog(t); after != before {
		t.Errorf("reading changed the catalog:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// An older schema version is left for Open to upgrade.
	_, schema, _ := postgres.SplitURL(rawURL)
	srv.Exec(t, "UPDATE "+schema+".meta SET value = '1' WHERE key = 'schema_version'")
	var old *salvo.OldSchemaError
	if _, err := postgres.OpenReadOnly(ctx, rawURL); !errors.As(err, &old) || old.Version != 1 {
		t.Fatalf("a version 1 schema: %v, want an OldSchemaError", err)
	}
	var version string
	srv.Scan(t, "SELECT value FROM "+schema+".meta WHERE key = 'schema_version'", nil, &version)
	if version != "1" {
		t.Errorf("OpenReadOnly upgraded the schema to %s", version)
	}
}
