package cli

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// distSQLTable makes a SQLite table of n rows whose IDs id(i) gives (nil:
// NULL), and returns its path.
func distSQLTable(t *testing.T, n int, id func(i int) any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	lite, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, err := lite.Exec(`CREATE TABLE items (id INTEGER, title TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := lite.Exec(`INSERT INTO items VALUES (?, ?)`, id(i), fmt.Sprintf("item %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// --distributed --source-db: rows whose ID is NULL are each one failure
// with its reason, whatever the job size, and every other row is stored.
func TestDistributedSourceDBNullIDs(t *testing.T) {
	path := distSQLTable(t, 20, func(i int) any {
		if i%5 == 2 {
			return nil
		}
		return i
	})
	s := server(t, ollamatest.Config{Dims: 16})
	for _, size := range []string{"3", "40"} {
		db := pgtest.PostgreSQL(t).Fresh(t)
		failures := filepath.Join(t.TempDir(), "failures.jsonl")
		r := run(t, "", "embed", "--source-db", path, "--sql", "SELECT id, title FROM items", "--fields", "title",
			"--distributed", "--job-size", size, "--host", s.URL(), "--db", db, "--failures", failures, "--json")
		if r.code != ExitPartial {
			t.Fatalf("--job-size %s: exit %d, want 2\n%s", size, r.code, r.err)
		}
		m := r.summary(t)
		if num(m, "embedded")+num(m, "skipped") != 16 || num(m, "failed") != 4 {
			t.Errorf("--job-size %s: %s; want 16 stored and 4 failed", size, r.out)
		}
		fs := readFailures(t, failures)
		if len(fs) != 4 {
			t.Fatalf("--job-size %s: failures %+v, want the 4 NULL-ID rows", size, fs)
		}
		for _, f := range fs {
			if !strings.Contains(f.Error, "NULL") {
				t.Errorf("--job-size %s: failure %+v does not say the ID is NULL", size, f)
			}
		}
	}
}

// --distributed --source-db with 100 rows per ID and jobs of 40 rows: the
// rows of one ID are in one job, handled by --on-duplicate.
func TestDistributedSourceDBRepeatedIDs(t *testing.T) {
	path := distSQLTable(t, 500, func(i int) any { return i / 100 })
	s := server(t, ollamatest.Config{Dims: 16})
	for _, c := range []struct {
		policy         string
		code, failed   int
		storedTitleEnd string // the title stored for ID 0
	}{
		{"first", ExitOK, 0, "item 0"},
		{"last", ExitOK, 0, "item 99"},
		{"fail", ExitPartial, 495, "item 0"},
	} {
		db := pgtest.PostgreSQL(t).Fresh(t)
		r := run(t, "", "embed", "--source-db", path, "--sql", "SELECT id, title FROM items", "--fields", "title", "--keep", "title",
			"--distributed", "--job-size", "40", "--on-duplicate", c.policy, "--host", s.URL(), "--db", db,
			"--failures", filepath.Join(t.TempDir(), "f.jsonl"), "--json")
		if r.code != c.code {
			t.Fatalf("--on-duplicate %s: exit %d, want %d\n%s", c.policy, r.code, c.code, r.err)
		}
		if m := r.summary(t); num(m, "read") != 500 || num(m, "failed") != c.failed {
			t.Errorf("--on-duplicate %s: %s; want 500 read and %d failed", c.policy, r.out, c.failed)
		}
		var n int
		var title string
		pgtest.PostgreSQL(t).Scan(t, "SELECT count(*), max(i.fields->>'title') FILTER (WHERE i.id = '0') FROM "+schemaOf(t, db)+".items i", nil, &n, &title)
		if n != 5 || title != c.storedTitleEnd {
			t.Errorf("--on-duplicate %s: %d records stored, ID 0 holds %q; want 5, %q", c.policy, n, title, c.storedTitleEnd)
		}
	}
}
