package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

type gcOut struct {
	Rows   int64 `json:"rows"`
	Bytes  int64 `json:"bytes"`
	DryRun bool  `json:"dry_run"`
}

func gcJSON(t *testing.T, db string, args ...string) gcOut {
	t.Helper()
	r := run(t, "", append([]string{"gc", "--json", "--db", db}, args...)...)
	var g gcOut
	if r.code != ExitOK || json.Unmarshal([]byte(r.out), &g) != nil {
		t.Fatalf("gc --json %v: exit %d: %q %s", args, r.code, r.out, r.err)
	}
	return g
}

// salvo gc frees the vectors that records left behind (pruned, dropped),
// --dry-run and status say how much without deleting, and a vector a
// record still refers to stays.
func TestGCFreesWhatRecordsLeft(t *testing.T) { testGCFreesWhatRecordsLeft(t, "salvo.db") }

func TestGCOnPostgreSQL(t *testing.T) {
	for _, srv := range []func(testing.TB) *pgtest.Server{pgtest.PostgreSQL, pgtest.PGlite} {
		srv := srv(t)
		t.Run(srv.Name, func(t *testing.T) { testGCFreesWhatRecordsLeft(t, srv.Fresh(t)) })
	}
}

func testGCFreesWhatRecordsLeft(t *testing.T, db string) {
	sv := func(args ...string) result {
		t.Helper()
		return run(t, "", append(args, "--db", db)...)
	}
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("OLLAMA_HOST", s.URL())
	writeFile(t, dir, "movies.jsonl", catalog(upTo(5)...))
	if r := sv("embed", "movies.jsonl", "--collection", "m", "--quiet"); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	if g := gcJSON(t, db, "--dry-run"); g.Rows != 0 || !g.DryRun {
		t.Errorf("gc --dry-run after one run = %+v, want nothing to free", g)
	}
	writeFile(t, dir, "movies.jsonl", catalog(0, 1, 2))
	if r := sv("embed", "movies.jsonl", "--collection", "m", "--prune", "--quiet"); r.code != ExitOK {
		t.Fatalf("embed --prune: exit %d: %s", r.code, r.err)
	}
	dry := gcJSON(t, db, "--dry-run")
	if dry.Rows != 2 || dry.Bytes < 2*4*4 {
		t.Errorf("gc --dry-run after pruning 2 records = %+v, want 2 rows of at least %d bytes", dry, 2*4*4)
	}
	r := sv("status", "--json")
	var st struct {
		Unreferenced gcOut `json:"unreferenced"`
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || st.Unreferenced.Rows != 2 || st.Unreferenced.Bytes != dry.Bytes {
		t.Errorf("status --json unreferenced = %+v, %v; want what gc --dry-run said, %+v", st.Unreferenced, err, dry)
	}
	if r := sv("status"); !strings.Contains(r.out, "2 cached vectors") || !strings.Contains(r.out, "salvo gc frees them") {
		t.Errorf("status does not say what gc would free:\n%s%s", r.out, r.err)
	}
	if g := gcJSON(t, db, "--dry-run"); g.Rows != 2 {
		t.Errorf("a second gc --dry-run = %+v: the first deleted something", g)
	}
	if r := sv("gc"); r.code != ExitOK || !strings.Contains(r.err, "freed 2 cached vectors") {
		t.Errorf("gc: exit %d: %s", r.code, r.err)
	}
	if g := gcJSON(t, db); g.Rows != 0 || g.DryRun {
		t.Errorf("gc after gc = %+v, want nothing freed", g)
	}
	if got := len(exported(t, db, "m")); got != 3 {
		t.Errorf("export after gc: %d records, want 3", got)
	}
	// The records kept still cost no request.
	s.Reset()
	if r := sv("embed", "movies.jsonl", "--collection", "m", "--quiet"); r.code != ExitOK || s.Requests() != 0 {
		t.Errorf("embed after gc: exit %d, %d requests; want 0: %s", r.code, s.Requests(), r.err)
	}
	// A dropped collection's vectors are freed by the next gc.
	if r := sv("drop", "m"); r.code != ExitOK {
		t.Fatalf("drop: exit %d: %s", r.code, r.err)
	}
	if g := gcJSON(t, db); g.Rows != 3 {
		t.Errorf("gc after drop = %+v, want 3 rows freed", g)
	}
	if r := run(t, "", "gc", "--db", "nope.db"); r.code != ExitFatal || !strings.Contains(r.err, "does not exist") {
		t.Errorf("gc of a missing database: exit %d: %s", r.code, r.err)
	}
}
