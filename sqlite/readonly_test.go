package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// snapshot is a folder's names and each file's bytes.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func sameFolder(t *testing.T, what string, before, after map[string][]byte) {
	t.Helper()
	for name, b := range after {
		if old, ok := before[name]; !ok {
			t.Errorf("%s created %s", what, name)
		} else if !bytes.Equal(old, b) {
			t.Errorf("%s changed %s", what, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("%s removed %s", what, name)
		}
	}
}

// Reading a database through OpenReadOnly changes no byte of it and
// leaves no file behind; writes are refused.
func TestOpenReadOnlyReadsWithoutWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "salvo.db")
	w, err := Open(path)
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
	before := snapshot(t, dir)

	s, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	colls, err := s.Collections(ctx)
	if err != nil || len(colls) != 1 || colls[0].Count != 2 {
		t.Fatalf("Collections = %+v, %v", colls, err)
	}
	var ids []string
	if err := s.Each(ctx, "c", func(id string, _ []float32) error { ids = append(ids, id); return nil }); err != nil || !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("Each: %v, %v", ids, err)
	}
	if _, _, _, err := s.Vectors(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Runs(ctx, "", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "new", Model: "m"}); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("OpenCollection on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := s.Put(ctx, "c", storetest.Entries(2, 3), []salvo.Item{{ID: "c", Key: storetest.Key(3)}}); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("Put on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := s.RecordRun(ctx, salvo.RunRecord{Collection: "c"}); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("RecordRun on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sameFolder(t, "OpenReadOnly", before, snapshot(t, dir))
}

// A missing file, an empty one and a database of an older schema are
// refused with what they are, and none of them is created or changed.
func TestOpenReadOnlyRefuses(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := OpenReadOnly(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want ErrNotExist", err)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o644)

	// Schema version 1, as an older salvo wrote it.
	old := filepath.Join(dir, "old.db")
	db, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA journal_mode = WAL", migrations[0], fmt.Sprintf("PRAGMA application_id = %d", applicationID), "PRAGMA user_version = 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	before := snapshot(t, dir)
	var ns *salvo.NoSchemaError
	if _, err := OpenReadOnly(empty); !errors.As(err, &ns) || ns.Where != empty {
		t.Errorf("an empty file: %v, want a NoSchemaError", err)
	}
	var os_ *salvo.OldSchemaError
	if _, err := OpenReadOnly(old); !errors.As(err, &os_) || os_.Version != 1 || os_.Current != SchemaVersion {
		t.Errorf("schema version 1: %v, want an OldSchemaError", err)
	}
	sameFolder(t, "OpenReadOnly", before, snapshot(t, dir))
	// Open, which writes, upgrades it.
	s, err := Open(old)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = OpenReadOnly(old); err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
	s.Close()
}

// TestReadOnlyCache: every connection of a read-only store (salvo serve's)
// has a page cache of readCacheKiB, not SQLite's 2,000 KiB default.
func TestReadOnlyCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "salvo.db")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	s, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for pool, db := range map[string]*sql.DB{"reader": s.r, "writer": s.w} {
		var conns []*sql.Conn
		for range maxReaders {
			c, err := db.Conn(ctx)
			if err != nil {
				break // the writer pool holds one
			}
			conns = append(conns, c)
			var size int
			if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil || size != -readCacheKiB {
				t.Errorf("%s connection %d: cache_size %d, %v; want %d", pool, len(conns), size, err, -readCacheKiB)
			}
			if pool == "writer" {
				break
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
}
