package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// readers are the commands that must create nothing, as a user runs them.
// serve is run with a context that is already canceled: it opens the
// store, listens, and stops.
func readers(t *testing.T, host, db string) []result {
	t.Helper()
	var out []result
	for _, args := range [][]string{
		{"status", "--db", db},
		{"status", "--db", db, "--json"},
		{"search", "--host", host, "--db", db, "--k", "3", "one"},
		{"similar", "--db", db, "--k", "3", "1"},
		{"export", "--db", db},
		{"export", "--db", db, "--format", "csv"},
	} {
		out = append(out, run(t, "", args...))
	}
	// serve opens the store with the command's context: it is stopped
	// once it serves.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var o bytes.Buffer
	e := &stopWhenServing{cancel: cancel}
	code := Main(ctx, []string{"serve", "--db", db, "--host", host, "--addr", "127.0.0.1:0"}, Stdio{In: strings.NewReader(""), Out: &o, Err: e, IsTerminal: func() bool { return false }})
	return append(out, result{code, o.String(), e.String()})
}

// stopWhenServing is serve's stderr: it cancels the command when serve
// says it is serving.
type stopWhenServing struct {
	mu     sync.Mutex
	b      bytes.Buffer
	cancel func()
}

func (w *stopWhenServing) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), "salvo: serving ") {
		w.cancel()
	}
	return len(p), nil
}

func (w *stopWhenServing) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func folder(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = string(b)
	}
	return m
}

func sameFiles(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: the folder held %d files, now %d", what, len(before), len(after))
	}
	for name, b := range before {
		if a, ok := after[name]; !ok || a != b {
			t.Errorf("%s changed or removed %s", what, name)
		}
	}
}

// On SQLite the reading commands create no file, change no byte of a
// database, and leave a database of an older schema version as it is,
// saying to run salvo embed (they used to upgrade it). The one write they
// make is the words index of what salvo embed stored, by the first search
// by words after it; once it is made, they change nothing.
func TestReadOnlyCommandsSQLite(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":"1","text":"one","title":"One"}`+"\n"+`{"id":"2","text":"two","title":"Two"}`+"\n")
	db := filepath.Join(dir, "m.db")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--keep", "title"); r.code != ExitOK {
		t.Fatalf("embed exit %d: %s", r.code, r.err)
	}
	fresh := folder(t, dir)
	if r := run(t, "", "search", "--mode", "text", "--db", db, "one"); r.code != ExitOK {
		t.Fatalf("the first search by words: exit %d: %s", r.code, r.err)
	}
	before := folder(t, dir)
	if before["m.db"]+before["m.db-wal"] == fresh["m.db"]+fresh["m.db-wal"] {
		t.Error("the first search by words after salvo embed wrote no words index")
	}
	for i, r := range readers(t, s.URL(), db) {
		if r.code != ExitOK {
			t.Errorf("reader %d: exit %d: %s", i, r.code, r.err)
		}
	}
	sameFiles(t, "the reading commands", before, folder(t, dir))

	missing := filepath.Join(dir, "missing.db")
	for i, r := range readers(t, s.URL(), missing) {
		if r.code != ExitFatal || !strings.Contains(r.err, "does not exist") {
			t.Errorf("reader %d of a missing file: exit %d: %s", i, r.code, r.err)
		}
	}
	sameFiles(t, "the reading commands of a missing file", before, folder(t, dir))

	// Schema version 1: what salvo wrote before kept fields.
	old := filepath.Join(dir, "old.db")
	raw, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA journal_mode = WAL", `CREATE TABLE collections (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, model TEXT NOT NULL, dims INTEGER NOT NULL DEFAULT 0, template TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
		"PRAGMA application_id = 1396788310", "PRAGMA user_version = 1"} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	before = folder(t, dir)
	for i, r := range readers(t, s.URL(), old) {
		if r.code != ExitFatal || !strings.Contains(r.err, "schema version 1, older than this salvo's") || !strings.Contains(r.err, "run salvo embed with this --db once") {
			t.Errorf("reader %d of an old schema: exit %d: %s", i, r.code, r.err)
		}
	}
	sameFiles(t, "the reading commands of an old schema", before, folder(t, dir))
}

// `salvo status --db 'postgres://…?schema=embeddings'` on a schema that
// does not exist used to create it with 5 tables. No reading command
// changes the catalog now, and the message shows the schema.
func TestReadOnlyCommandsPostgreSQL(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Dims: 4})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", fmt.Sprintf("embeddings_%d", os.Getpid()))
	u.RawQuery = q.Encode()
	missing := u.String()

	before := srv.Catalog(t)
	for i, r := range readers(t, s.URL(), missing) {
		switch i {
		case 0: // status: no collections yet, where the schema would be
			if r.code != ExitOK || !strings.Contains(r.out, "?schema=embeddings_") || !strings.Contains(r.out, "has no collections yet") {
				t.Errorf("status of a missing schema: exit %d: %s%s", r.code, r.out, r.err)
			}
		case 1: // status --json
			if r.code != ExitOK || !strings.Contains(r.out, `"collections":[]`) {
				t.Errorf("status --json of a missing schema: exit %d: %s%s", r.code, r.out, r.err)
			}
		default:
			if r.code != ExitFatal || !strings.Contains(r.err, "?schema=embeddings_") || !strings.Contains(r.err, "holds no salvo tables") {
				t.Errorf("reader %d of a missing schema: exit %d: %s", i, r.code, r.err)
			}
		}
	}
	if after := srv.Catalog(t); after != before {
		t.Fatalf("the reading commands changed the catalog of a missing schema:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	db := srv.Fresh(t)
	in := writeFile(t, t.TempDir(), "m.jsonl", `{"id":"1","text":"one","title":"One"}`+"\n"+`{"id":"2","text":"two","title":"Two"}`+"\n")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--keep", "title"); r.code != ExitOK {
		t.Fatalf("embed exit %d: %s", r.code, r.err)
	}
	before = srv.Catalog(t)
	for i, r := range readers(t, s.URL(), db) {
		if r.code != ExitOK {
			t.Errorf("reader %d: exit %d: %s", i, r.code, r.err)
		}
	}
	if after := srv.Catalog(t); after != before {
		t.Errorf("the reading commands changed the catalog:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
