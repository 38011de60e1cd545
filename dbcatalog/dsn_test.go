package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLitePath(t *testing.T) {
	for _, tt := range []struct{ dsn, want string }{
		{"shop.db", "shop.db"},
		{"./shop.db", "./shop.db"},
		{"data/shop.db", "data/shop.db"},
		{"/data/shop.db", "/data/shop.db"},
		{"sqlite:shop.db", "shop.db"},
		{"sqlite:./shop.db", "./shop.db"},
		{"sqlite:/data/shop.db", "/data/shop.db"},
		{"SQLite:shop.db", "shop.db"},
		{"sqlite://shop.db", "shop.db"},
		{"sqlite:///data/shop.db", "/data/shop.db"},
		{"file:shop.db", "shop.db"},
		{"file:./my%20shop.db", "./my shop.db"},
		{"file:/data/shop.db", "/data/shop.db"},
		{"file:///data/a%3Fb.db", "/data/a?b.db"},
		{"file://localhost/data/shop.db", "/data/shop.db"},
		{"sqlite:file:shop.db", "shop.db"},
		{"a?b.db", "a?b.db"},
	} {
		got, err := SQLitePath(tt.dsn)
		if err != nil || got != tt.want {
			t.Errorf("SQLitePath(%q) = %q, %v; want %q", tt.dsn, got, err, tt.want)
		}
	}
	for _, dsn := range []string{"", "sqlite:", "file:", "file:shop.db?mode=ro", "file://otherhost/x.db", "file:%zz", "sqlite://"} {
		var de *DSNError
		if p, err := SQLitePath(dsn); !errors.As(err, &de) || de.DSN != dsn {
			t.Errorf("SQLitePath(%q) = %q, %v; want a *DSNError", dsn, p, err)
		}
	}
}

// TestOpenRelativeSQLite: every spelling of a relative (and absolute)
// SQLite file opens the file, from the working directory.
func TestOpenRelativeSQLite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	lite, err := sql.Open("sqlite", "shop.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lite.Exec("CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO movies VALUES (1, 'Heat')"); err != nil {
		t.Fatal(err)
	}
	lite.Close()
	abs := filepath.Join(dir, "shop.db")
	for _, dsn := range []string{"shop.db", "sqlite:shop.db", "./shop.db", "sqlite:./shop.db", "file:shop.db", abs, "sqlite:" + abs,
		(&url.URL{Scheme: "file", Path: abs}).String()} {
		db, err := Open(context.Background(), dsn)
		if err != nil {
			t.Errorf("Open(%q): %v", dsn, err)
			continue
		}
		recs, _ := readAll(t, db, "SELECT id, title FROM movies", "id")
		if len(recs) != 1 || recs[0].Fields["title"] != "Heat" {
			t.Errorf("Open(%q): records %v", dsn, recs)
		}
		db.Close()
	}
	var de *DSNError
	if _, err := Open(context.Background(), "sqlite:none.db"); !errors.As(err, &de) || de.Path != "none.db" || strings.Contains(err.Error(), "--") {
		t.Errorf("a missing file: %v; want a *DSNError naming none.db and no flag", err)
	}
}

func FuzzSQLitePath(f *testing.F) {
	for _, s := range []string{"shop.db", "./shop.db", "/data/shop.db", "sqlite:shop.db", "sqlite:///a/b.db", "sqlite://x",
		"file:shop.db", "file:///a%20b/c.db", "file://localhost/x", "file:x?mode=ro", "file:%zz", "", "sqlite:", "sqlite:file:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		p, err := SQLitePath(dsn)
		if err != nil {
			var de *DSNError
			if !errors.As(err, &de) || de.DSN != dsn {
				t.Fatalf("SQLitePath(%q): %v is not a *DSNError of it", dsn, err)
			}
			return
		}
		if p == "" || strings.ContainsRune(p, 0) {
			t.Fatalf("SQLitePath(%q) = %q", dsn, p)
		}
		// The driver's URI for the file names it back.
		uri, err := fileURI(p)
		if err != nil {
			return
		}
		back, err := SQLitePath(uri)
		abs, _ := filepath.Abs(p)
		if err != nil || back != abs {
			t.Fatalf("SQLitePath(%q) = %q, whose URI %q reads back as %q, %v; want %q", dsn, p, uri, back, err, abs)
		}
		// A plain path is itself.
		if !strings.HasPrefix(strings.ToLower(dsn), "sqlite:") && !strings.HasPrefix(strings.ToLower(dsn), "file:") && p != dsn {
			t.Fatalf("SQLitePath(%q) = %q; a plain path is itself", dsn, p)
		}
	})
}
