package cli

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/postgres"
)

// Every --db value is classified once, the same way for every command.
func TestParseDB(t *testing.T) {
	for _, tc := range []struct {
		in       string
		kind     dbKind
		failures string // the default failures file
		err      string // part of the error, when refused
	}{
		{in: "salvo.db", kind: dbSQLite, failures: "salvo.failures.jsonl"},
		{in: "data/movies.sqlite", kind: dbSQLite, failures: "data/movies.failures.jsonl"},
		{in: "/tmp/a.b/m", kind: dbSQLite, failures: "/tmp/a.b/m.failures.jsonl"},
		{in: "file:m.db", kind: dbSQLite, failures: "file:m.failures.jsonl"},
		{in: "postgres://u:secret@h/db", kind: dbPostgres, failures: "salvo.failures.jsonl"},
		{in: "postgresql://h/db?schema=s", kind: dbPostgres, failures: "salvo.failures.jsonl"},
		{in: "", err: "give a SQLite file (salvo.db) or a PostgreSQL URL"},
		{in: "  ", err: "give a SQLite file"},
		{in: "mysql://u:secret@h/db", err: "mysql://u:xxxxx@h/db: salvo stores vectors in SQLite (give a file path) or PostgreSQL (postgres://…), not in mysql"},
		{in: "POSTGRES://h/db", err: "a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)"},
		{in: "postgres:/h/db", err: "a PostgreSQL URL starts with postgres://"},
		{in: "postgresql:db", err: "a PostgreSQL URL starts with postgres://"},
	} {
		d, err := parseDB(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("parseDB(%q) = %+v, %v; want an error saying %q (and no password)", tc.in, d, err, tc.err)
			}
			continue
		}
		if err != nil || d.kind != tc.kind || d.String() != tc.in || d.failuresPath() != tc.failures {
			t.Errorf("parseDB(%q) = %+v (failures %s), %v; want kind %d, failures %s", tc.in, d, d.failuresPath(), err, tc.kind, tc.failures)
		}
		if (d.sqlitePath() == tc.in) != (tc.kind == dbSQLite) || d.isPostgres() != (tc.kind == dbPostgres) {
			t.Errorf("parseDB(%q): sqlitePath %q, isPostgres %v", tc.in, d.sqlitePath(), d.isPostgres())
		}
	}
}

// The flag: salvo.db by default, and a refused value stops the command.
func TestDBFlag(t *testing.T) {
	if r := run(t, "", "status", "--db", "mysql://h/db"); r.code == ExitOK || !strings.Contains(r.err, `invalid argument "mysql://h/db" for "--db" flag`) {
		t.Errorf("status --db mysql://…: exit %d\n%s", r.code, r.err)
	}
	fs := newFlagSet("x", "", Stdio{})
	var d dbTarget
	dbFlag(fs, &d)
	if d != defaultDB || fs.Lookup("db").DefValue != "salvo.db" {
		t.Errorf("default --db: %+v, %q", d, fs.Lookup("db").DefValue)
	}
	if err := fs.Parse([]string{"--db", "postgres://h/x"}); err != nil || !d.isPostgres() || d.String() != "postgres://h/x" {
		t.Errorf("--db postgres://h/x: %+v, %v", d, err)
	}
}

// The reading commands open with the context they hold: a cancelled one
// stops the connection at once, instead of one made up underneath.
func TestOpenReadOnlyTakesTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := parseDB("postgres://u@127.0.0.1:1/db?connect_timeout=30")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.openReadOnly(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("openReadOnly with a cancelled context: %v, want context.Canceled", err)
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	d, _ = parseDB(missing)
	if _, err := d.openReadOnly(context.Background()); err == nil || !strings.Contains(err.Error(), "database "+missing+" does not exist") {
		t.Errorf("openReadOnly of a missing file: %v", err)
	}
}

// FuzzParseDB: any value is either refused or classified as IsURL says,
// kept as given, and parsed again the same.
func FuzzParseDB(f *testing.F) {
	for _, s := range []string{"salvo.db", "", "postgres://u:p@h:5432/db?schema=s", "postgresql://h", "mysql://h/db", "POSTGRES://h", "postgres:x", "./a://b", "file:m.db", "sqlite:m.db", "\x00", "é.db"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDB(s)
		if err != nil {
			if postgres.IsURL(s) {
				t.Fatalf("parseDB(%q) refused a PostgreSQL URL: %v", s, err)
			}
			return
		}
		if d.String() != s || d.isPostgres() != postgres.IsURL(s) || (d.sqlitePath() == "") != d.isPostgres() {
			t.Fatalf("parseDB(%q) = %+v", s, d)
		}
		if !strings.HasSuffix(d.failuresPath(), ".failures.jsonl") {
			t.Fatalf("parseDB(%q): failures file %q", s, d.failuresPath())
		}
		var again dbTarget
		if err := again.Set(d.String()); err != nil || again != d {
			t.Fatalf("parseDB(%q) again: %+v, %v", s, again, err)
		}
	})
}
