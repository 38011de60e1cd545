package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// planOf decodes the output of salvo embed --plan --json.
func planOf(t *testing.T, r result) map[string]any {
	t.Helper()
	if r.code != ExitOK {
		t.Fatalf("--plan: exit %d: %s", r.code, r.err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.out), &m); err != nil {
		t.Fatalf("--plan --json output %q: %v", r.out, err)
	}
	for _, k := range []string{"new", "changed", "unchanged", "gone", "to_embed", "estimated_seconds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("--plan --json lacks %q: %s", k, r.out)
		}
	}
	return m
}

const (
	planFirst = `{"id":"a","text":"alpha"}
{"id":"b","text":"beta"}
{"id":"c","text":"gamma"}
{"id":"d","text":"delta"}
`
	// a unchanged, b changed, c and d gone, e new, f new with a cached text.
	planSecond = `{"id":"a","text":"alpha"}
{"id":"b","text":"beta, revised"}
{"id":"e","text":"epsilon"}
{"id":"f","text":"gamma"}
{"id":"e","text":"epsilon again"}
`
)

func checkPlanCounts(t *testing.T, m map[string]any, want map[string]int) {
	t.Helper()
	for k, v := range want {
		if num(m, k) != v {
			t.Errorf("plan %s = %d, want %d (%v)", k, num(m, k), v, m)
		}
	}
}

func TestEmbedPlanSendsNothingWritesNothingSQLite(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	db := filepath.Join(dir, "salvo.db")
	movies := writeFile(t, dir, "movies.jsonl", planFirst)
	if r := run(t, "", "embed", movies, "--collection", "m", "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	if err := os.WriteFile(movies, []byte(planSecond), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Reset()
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	infoBefore, _ := os.Stat(db)

	// salvo embed movies.jsonl --collection m --plan --json
	r := run(t, "", "embed", movies, "--collection", "m", "--plan", "--json", "--host", s.URL(), "--db", db)
	m := planOf(t, r)
	// The second e is a duplicate (fails by default, as in a run).
	checkPlanCounts(t, m, map[string]int{"new": 2, "changed": 1, "unchanged": 1, "gone": 2, "to_embed": 2, "duplicates": 1})
	if m["estimated_seconds"] == nil {
		t.Errorf("the collection has a run in the ledger, yet no estimate: %s", r.out)
	}
	if !strings.Contains(r.out, `"text":"beta, revised"`) || !strings.Contains(r.out, `"text":"epsilon"`) || strings.Contains(r.out, `"text":"gamma"`) {
		t.Errorf("texts to send: want the changed and the new one, not the cached one: %s", r.out)
	}
	if s.Requests() != 0 {
		t.Errorf("--plan sent %d requests", s.Requests())
	}
	after, _ := os.ReadFile(db)
	infoAfter, _ := os.Stat(db)
	if !bytes.Equal(before, after) || !infoAfter.ModTime().Equal(infoBefore.ModTime()) {
		t.Errorf("--plan changed the database file")
	}
	if _, err := os.Stat(filepath.Join(dir, "salvo.failures.jsonl")); err == nil {
		t.Errorf("--plan wrote a failures file")
	}

	// The same choices as a run: --on-duplicate last, --force.
	m = planOf(t, run(t, "", "embed", movies, "--collection", "m", "--plan", "--json", "--on-duplicate", "last", "--db", db))
	checkPlanCounts(t, m, map[string]int{"new": 2, "changed": 1, "unchanged": 1, "gone": 2, "to_embed": 3, "duplicates": 1})
	m = planOf(t, run(t, "", "embed", movies, "--collection", "m", "--plan", "--json", "--force", "--db", db))
	checkPlanCounts(t, m, map[string]int{"new": 2, "changed": 1, "unchanged": 1, "to_embed": 4})

	// For people: the counts, the texts, the estimate.
	r = run(t, "", "embed", movies, "--collection", "m", "--plan", "--db", db)
	for _, want := range []string{"records: 2 new, 1 changed, 1 unchanged, 2 gone", "to embed: 2 texts", "b\tbeta, revised", "embeddings/s"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, r.out)
		}
	}
	r = run(t, "", "embed", movies, "--collection", "m", "--plan", "--limit", "1", "--db", db)
	if !strings.Contains(r.out, "records: 0 new, 0 changed, 1 unchanged, 3 gone") || !strings.Contains(r.out, "--limit 1: only the first 1 records") {
		t.Errorf("plan with --limit:\n%s", r.out)
	}
	if s.Requests() != 0 {
		t.Errorf("--plan sent %d requests", s.Requests())
	}
}

func TestEmbedPlanNewStoreCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "new.db")
	in := writeFile(t, dir, "movies.jsonl", planFirst)
	m := planOf(t, run(t, "", "embed", in, "--plan", "--json", "--db", db, "--host", "http://127.0.0.1:1"))
	checkPlanCounts(t, m, map[string]int{"new": 4, "changed": 0, "unchanged": 0, "gone": 0, "to_embed": 4})
	if m["estimated_seconds"] != nil {
		t.Errorf("no run in the ledger, yet an estimate: %v", m)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("--plan created %s", db)
	}
	r := run(t, "", "embed", in, "--plan", "--db", db)
	if !strings.Contains(r.out, "does not exist yet") || !strings.Contains(r.out, "no estimate") {
		t.Errorf("plan of a new store:\n%s", r.out)
	}
}

func TestEmbedPlanRefusesWhatWouldWrite(t *testing.T) {
	in := writeFile(t, t.TempDir(), "m.jsonl", planFirst)
	for _, args := range [][]string{
		{"embed", in, "--plan", "--distributed", "--db", "postgres://127.0.0.1:1/x"},
		{"embed", "--plan", "--source-db", filepath.Join(t.TempDir(), "src.db"), "--sql", "SELECT 1", "--write-back", "t.v"},
	} {
		r := run(t, "", args...)
		if r.code != ExitFatal || !strings.Contains(r.err, "--plan writes nothing") {
			t.Errorf("%v: exit %d: %s", args, r.code, r.err)
		}
	}
}

func TestEmbedPlanPostgreSQLChangesNothing(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Dims: 4})
	db := srv.Fresh(t)
	in := writeFile(t, t.TempDir(), "movies.jsonl", planFirst)
	if r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	if err := os.WriteFile(in, []byte(planSecond), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Reset()
	before := srv.Catalog(t)
	m := planOf(t, run(t, "", "embed", in, "--collection", "m", "--plan", "--json", "--host", s.URL(), "--db", db))
	checkPlanCounts(t, m, map[string]int{"new": 2, "changed": 1, "unchanged": 1, "gone": 2, "to_embed": 2})
	if s.Requests() != 0 {
		t.Errorf("--plan sent %d requests", s.Requests())
	}
	if after := srv.Catalog(t); after != before {
		t.Errorf("--plan changed the catalog:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// A collection that does not exist: everything is new.
	m = planOf(t, run(t, "", "embed", in, "--collection", "other", "--plan", "--json", "--db", db))
	checkPlanCounts(t, m, map[string]int{"new": 4, "gone": 0, "to_embed": 4})
}

// TestEmbedPlanLongDocuments: --plan cuts long texts as the run does, so a
// long record stored in pieces is unchanged, and an edit near its end
// plans only its changed pieces.
func TestEmbedPlanLongDocuments(t *testing.T) {
	s := server(t, ollamatest.Config{ContextTokens: 64, Words: true, Dims: 8})
	dir := t.TempDir()
	db := filepath.Join(dir, "salvo.db")
	docs := func(tail string) string {
		var b strings.Builder
		for i := range 3 {
			line, _ := json.Marshal(map[string]string{"id": fmt.Sprint("doc", i), "text": longText(uint64(i), 6*64) + tail})
			b.Write(append(line, '\n'))
		}
		b.WriteString(`{"id":"short","text":"a short one"}` + "\n")
		return writeFile(t, dir, "docs.jsonl", b.String())
	}
	in := docs("")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--collection", "docs"); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	s.Reset()
	m := planOf(t, run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--collection", "docs", "--plan", "--json"))
	checkPlanCounts(t, m, map[string]int{"new": 0, "changed": 0, "unchanged": 4, "to_embed": 0})
	if s.Requests() != 0 {
		t.Errorf("--plan sent %d requests", s.Requests())
	}
	in = docs(" A new last sentence.")
	m = planOf(t, run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--collection", "docs", "--plan", "--json"))
	checkPlanCounts(t, m, map[string]int{"new": 0, "changed": 3, "unchanged": 1})
	if n := num(m, "to_embed"); n < 3 || n > 6 {
		t.Errorf("to_embed = %d after an edit at the end of 3 long records, want their last pieces only", n)
	}
}
