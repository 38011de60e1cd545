package cli

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	_ "modernc.org/sqlite"
)

// Store faults: a file that is not a salvo database. `salvo status` and
// `salvo embed` refuse it with a clear error, exit 1, and leave it
// byte-identical (salvo used to switch it to WAL mode first).
func TestForeignDatabaseIsNeverModified(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA journal_mode = DELETE", "CREATE TABLE notes (x TEXT)", "INSERT INTO notes VALUES ('keep me')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	before, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	s := server(t, ollamatest.Config{})
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
	for _, args := range [][]string{
		{"status", "--db", other},
		{"status", "--db", other, "--json"},
		{"embed", in, "--host", s.URL(), "--db", other},
		{"export", "--db", other, "--format", "jsonl", "--out", filepath.Join(dir, "out.jsonl")},
	} {
		r := run(t, "", args...)
		if r.code != ExitFatal || !strings.Contains(r.err, "other.db is not a salvo database") || !strings.Contains(r.err, "choose another path") {
			t.Errorf("salvo %s: exit %d, stderr %q; want 1 and a clear refusal", strings.Join(args, " "), r.code, r.err)
		}
		after, err := os.ReadFile(other)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatalf("salvo %s modified another program's database", strings.Join(args, " "))
		}
	}
	if s.Requests() != 0 {
		t.Errorf("%d embedding requests for a run whose database is refused", s.Requests())
	}
	// The next run with a salvo database goes on as usual.
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"), "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded") != 1 {
		t.Errorf("exit %d %v", r.code, m)
	}
}
