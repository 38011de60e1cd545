package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// aliasesJSON decodes salvo alias --json.
func aliasesJSON(t *testing.T, db string) []salvo.Alias {
	t.Helper()
	r := run(t, "", "alias", "--db", db, "--json")
	if r.code != ExitOK {
		t.Fatalf("alias --json: exit %d: %s", r.code, r.err)
	}
	var out struct {
		Aliases []salvo.Alias `json:"aliases"`
	}
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || out.Aliases == nil {
		t.Fatalf("alias --json = %q: %v", r.out, err)
	}
	return out.Aliases
}

// Every reading command takes an alias for a collection; embed and drop
// refuse it, and a collection an alias points to is not dropped.
func TestAliasCommands(t *testing.T) { testAliasCommands(t, "salvo.db") }

// The same on PostgreSQL 15 and on PGlite with pgvector (search in the
// database, and drop removes the collection's index).
func TestAliasCommandsOnPostgreSQL(t *testing.T) {
	for _, srv := range []func(testing.TB) *pgtest.Server{pgtest.PostgreSQL, pgtest.PGlite} {
		srv := srv(t)
		t.Run(srv.Name, func(t *testing.T) { testAliasCommands(t, srv.Fresh(t)) })
	}
}

func testAliasCommands(t *testing.T, db string) {
	sv := func(args ...string) result {
		t.Helper()
		return run(t, "", append(args, "--db", db)...)
	}
	s := server(t, ollamatest.Config{Dims: 4, Models: []string{"m1", "m2"}})
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("OLLAMA_HOST", s.URL())
	writeFile(t, dir, "small.jsonl", catalog(upTo(3)...))
	writeFile(t, dir, "big.jsonl", catalog(upTo(5)...))
	for _, c := range [][]string{{"small.jsonl", "v1", "m1"}, {"big.jsonl", "v2", "m2"}} {
		if r := sv("embed", c[0], "--collection", c[1], "--model", c[2], "--quiet"); r.code != ExitOK {
			t.Fatalf("embed %s: exit %d: %s", c[1], r.code, r.err)
		}
	}
	if got := aliasesJSON(t, db); len(got) != 0 {
		t.Errorf("aliases of a new database = %v", got)
	}
	if r := sv("alias", "movies", "v1"); r.code != ExitOK || !strings.Contains(r.err, "movies → v1") {
		t.Fatalf("alias movies v1: exit %d: %s", r.code, r.err)
	}
	if got := len(exported(t, db, "movies")); got != 3 {
		t.Errorf("export --collection movies (→ v1) wrote %d records, want 3", got)
	}
	r := sv("search", "--collection", "movies", "--json", "--k", "10", "movie number 1")
	if r.code != ExitOK || strings.Count(r.out, `"id"`) != 3 {
		t.Errorf("search --collection movies (→ v1): exit %d, %d results: %s %s", r.code, strings.Count(r.out, `"id"`), r.out, r.err)
	}
	r = sv("similar", "--collection", "movies", "--json", "r1")
	if r.code != ExitOK || strings.Count(r.out, `"id"`) != 2 {
		t.Errorf("similar --collection movies r1: exit %d: %s %s", r.code, r.out, r.err)
	}
	r = sv("status", "--json")
	var st struct {
		Aliases []salvo.Alias `json:"aliases"`
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || len(st.Aliases) != 1 || st.Aliases[0] != (salvo.Alias{Name: "movies", Collection: "v1"}) {
		t.Errorf("status --json aliases = %+v, %v: %s", st.Aliases, err, r.out)
	}
	if r := sv("status"); !strings.Contains(r.out, "alias movies → v1") {
		t.Errorf("status does not show the alias:\n%s", r.out)
	}

	// Repoint: the same commands read v2.
	if r := sv("alias", "movies", "v2"); r.code != ExitOK || !strings.Contains(r.err, "movies → v2 (was v1)") {
		t.Fatalf("alias movies v2: exit %d: %s", r.code, r.err)
	}
	if got := len(exported(t, db, "movies")); got != 5 {
		t.Errorf("export --collection movies (→ v2) wrote %d records, want 5", got)
	}
	if r := sv("alias"); r.code != ExitOK || !strings.Contains(r.out, "movies") || !strings.Contains(r.out, "v2") {
		t.Errorf("alias (list): exit %d: %s", r.code, r.out)
	}

	// embed into an alias: refused before any request, with the collection to use.
	s.Reset()
	for _, extra := range [][]string{nil, {"--plan"}} {
		r := sv(append([]string{"embed", "big.jsonl", "--collection", "movies", "--model", "m2"}, extra...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, "alias of collection \"v2\"") || !strings.Contains(r.err, "--collection v2") {
			t.Errorf("embed %v into an alias: exit %d: %s", extra, r.code, r.err)
		}
	}
	if s.Requests() != 0 {
		t.Errorf("embed into an alias sent %d requests", s.Requests())
	}

	// A name is an alias's or a collection's.
	if r := sv("alias", "v1", "v2"); r.code != ExitFatal || !strings.Contains(r.err, "name of a collection") {
		t.Errorf("alias with a collection's name: exit %d: %s", r.code, r.err)
	}
	if r := sv("alias", "x", "movies"); r.code != ExitFatal || !strings.Contains(r.err, "salvo alias x v2") {
		t.Errorf("alias to an alias: exit %d: %s", r.code, r.err)
	}
	if r := sv("alias", "x", "nope"); r.code != ExitFatal || !strings.Contains(r.err, "no such collection") {
		t.Errorf("alias to a missing collection: exit %d: %s", r.code, r.err)
	}

	// drop: refused while an alias points to the collection, naming it.
	if r := sv("drop", "v2"); r.code != ExitFatal || !strings.Contains(r.err, `alias "movies"`) {
		t.Errorf("drop of an aliased collection: exit %d: %s", r.code, r.err)
	}
	if r := sv("drop", "movies"); r.code != ExitFatal || !strings.Contains(r.err, "is an alias") {
		t.Errorf("drop of an alias: exit %d: %s", r.code, r.err)
	}
	if r := sv("drop", "v1"); r.code != ExitOK || !strings.Contains(r.err, "v1 dropped (3 records)") {
		t.Errorf("drop v1: exit %d: %s", r.code, r.err)
	}
	if r := sv("export", "--collection", "v1", "--out", "x.jsonl"); r.code != ExitFatal {
		t.Errorf("export of a dropped collection: exit %d: %s", r.code, r.err)
	}
	if r := sv("alias", "--delete", "movies"); r.code != ExitOK {
		t.Errorf("alias --delete movies: exit %d: %s", r.code, r.err)
	}
	if r := sv("alias", "--delete", "movies"); r.code != ExitFatal || !strings.Contains(r.err, "no such alias") {
		t.Errorf("alias --delete of a missing alias: exit %d: %s", r.code, r.err)
	}
	if got := aliasesJSON(t, db); len(got) != 0 {
		t.Errorf("aliases after --delete = %v", got)
	}
	if r := sv("drop", "v2"); r.code != ExitOK {
		t.Errorf("drop v2 once its alias is gone: exit %d: %s", r.code, r.err)
	}
}
