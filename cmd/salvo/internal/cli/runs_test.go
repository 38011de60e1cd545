package cli

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// salvo status shows the last runs of salvo embed, newest first, with their
// figures and the arguments Main received.
func TestStatusShowsRuns(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":"a","title":"one"}`+"\n"+`{"id":"b","title":"two"}`+"\n")
	db := filepath.Join(dir, "m.db")
	first := []string{"embed", in, "--host", s.URL(), "--db", db, "--text", "{{.title}} it's", "--quiet"}
	second := []string{"embed", in, "--host", s.URL(), "--db", db, "--text", "{{.title}} it's", "--quiet", "--batch-size", "1"}
	for _, args := range [][]string{first, second} {
		if r := run(t, "", args...); r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
	}

	r := run(t, "", "status", "--db", db, "--json")
	var st struct {
		Collections []struct{ Name string }
		Runs        []struct {
			Collection string
			Args       []string
			Stats      struct{ Embedded, Cached, Failed int }
		}
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || r.code != ExitOK {
		t.Fatalf("status --json: exit %d %q %v", r.code, r.out, err)
	}
	if len(st.Collections) != 1 || len(st.Runs) != 2 {
		t.Fatalf("status --json: %s", r.out)
	}
	newest, oldest := st.Runs[0], st.Runs[1]
	if !slices.Equal(newest.Args, second) || !slices.Equal(oldest.Args, first) {
		t.Errorf("ledger arguments %q and %q, want %q and %q", newest.Args, oldest.Args, second, first)
	}
	if oldest.Stats.Embedded != 2 || newest.Stats.Embedded != 0 || newest.Collection != "m" {
		t.Errorf("ledger figures: newest %+v, oldest %+v", newest, oldest)
	}

	r = run(t, "", "status", "--db", db)
	if r.code != ExitOK || !strings.Contains(r.out, "COMMAND") || !strings.Contains(r.out, `salvo embed `+in) ||
		!strings.Contains(r.out, `--text '{{.title}} it'\''s'`) || !strings.Contains(r.out, "--batch-size 1") {
		t.Errorf("status:\n%s", r.out)
	}
	if r := run(t, "", "status", "--db", db, "--runs", "0", "--json"); !strings.Contains(r.out, `"runs":[]`) {
		t.Errorf("status --runs 0 --json: %s", r.out)
	}
}

// A run whose entry cannot be written to the ledger says so and exits 1
// (the error used to be ignored); its vectors are stored all the same.
func TestLedgerWriteError(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":"a","text":"one"}`+"\n")
	db := filepath.Join(dir, "m.db")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--quiet"); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`CREATE TRIGGER refuse_runs BEFORE INSERT ON runs BEGIN SELECT RAISE(FAIL, 'no more runs'); END`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	in2 := writeFile(t, dir, "m.jsonl", `{"id":"a","text":"one"}`+"\n"+`{"id":"b","text":"two"}`+"\n")
	r := run(t, "", "embed", in2, "--host", s.URL(), "--db", db, "--quiet")
	if r.code != ExitFatal || !strings.Contains(r.err, "no more runs") {
		t.Errorf("ledger write refused: exit %d, stderr %q; want exit %d naming the error", r.code, r.err, ExitFatal)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"count":2`) {
		t.Errorf("the vectors should be stored anyway: %s", r.out)
	}
}
