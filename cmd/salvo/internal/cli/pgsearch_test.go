package cli

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// The sample catalog embedded with kept fields into SQLite, PostgreSQL 15
// (no pgvector: salvo loads the vectors and scans them exactly) and PGlite
// with pgvector (the database ranks on its HNSW index): search, similar,
// export and serve give the same answers from all three.
func TestSearchOnPostgreSQL(t *testing.T) {
	const (
		model = "all-minilm" // no query prefix: a title finds its own movie
		title = "The Waltz of Kestrel Mills"
	)
	s := server(t, ollamatest.Config{Models: []string{model}, Dims: 64})
	embedMovies := func(t *testing.T, db string) {
		t.Helper()
		r := run(t, "", "embed", repoFile(t, "examples/movies.jsonl"), "--host", s.URL(), "--model", model, "--db", db,
			"--text", "{{.title}}", "--keep", "title,year,genres", "--quiet")
		if r.code != ExitOK {
			t.Fatalf("embed --db %s: exit %d: %s", db, r.code, r.err)
		}
	}
	search := func(t *testing.T, db string, k string) searchOut {
		t.Helper()
		// --mode vector: the stores rank the same vectors alike (their
		// word scores differ: BM25 on SQLite, ts_rank_cd on PostgreSQL).
		return decodeResults(t, run(t, "", "search", "--host", s.URL(), "--db", db, "--mode", "vector", "--k", k, "--json", title))
	}
	similar := func(t *testing.T, db, k, id string) searchOut {
		t.Helper()
		return decodeResults(t, run(t, "", "similar", "--db", db, "--k", k, "--json", id))
	}
	exported := func(t *testing.T, db string) []byte {
		t.Helper()
		b, err := os.ReadFile(exportFiles(t, db, "jsonl")["jsonl"])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	lite := filepath.Join(t.TempDir(), "movies.db")
	embedMovies(t, lite)
	wantSearch, wantSimilar, wantExport := search(t, lite, "10"), similar(t, lite, "10", "1"), exported(t, lite)
	if n := strings.Count(string(wantExport), `"title":`); n != 300 {
		t.Fatalf("SQLite's export holds %d titles, want the 300 movies'", n)
	}

	for _, tt := range []struct {
		srv    func(testing.TB) *pgtest.Server
		exact  bool   // salvo scans: the same ranking as SQLite's, score for score
		status string // what salvo status says of the search
	}{
		{pgtest.PostgreSQL, true, "salvo searches them exactly"},
		{pgtest.PGlite, false, "search runs in the database"},
	} {
		srv := tt.srv(t)
		t.Run(srv.Name, func(t *testing.T) {
			db := srv.Fresh(t)
			embedMovies(t, db)
			if r := run(t, "", "status", "--db", db); !strings.Contains(r.out, tt.status) || !strings.Contains(r.out, "movies") {
				t.Errorf("status (exit %d) does not say %q:\n%s%s", r.code, tt.status, r.out, r.err)
			}

			// search: the title's movie first with its kept fields, the
			// ranking SQLite's.
			got := search(t, db, "10")
			top := got.Results[0]
			if top.ID != wantSearch.Results[0].ID || top.Fields["title"] != title || top.Fields["year"] == nil || top.Fields["genres"] == nil ||
				top.Text != title || top.Score < 0.9999 {
				t.Errorf("first result %+v, want %+v with its kept fields", top, wantSearch.Results[0])
			}
			sameRanking(t, "search", got, wantSearch, tt.exact)
			r := run(t, "", "search", "--host", s.URL(), "--db", db, "--k", "2", title)
			if lines := strings.Split(strings.TrimSpace(r.out), "\n"); r.code != ExitOK || len(lines) != 3 ||
				!strings.Contains(lines[0], "TITLE") || !strings.Contains(lines[0], "GENRES") || !strings.Contains(lines[1], title) {
				t.Errorf("search's table (exit %d):\n%s%s", r.code, r.out, r.err)
			}
			// The words: the title, case aside, first in hybrid (on PGlite
			// the vectors come from the database's own ranking) and text.
			for _, mode := range []string{"hybrid", "text"} {
				out := decodeResults(t, run(t, "", "search", "--host", s.URL(), "--db", db, "--mode", mode, "--k", "5", "--json", strings.ToLower(title)))
				if len(out.Results) != 5 || out.Results[0].Fields["title"] != title {
					t.Errorf("search --mode %s %q: %+v, want 5 results, %s first", mode, strings.ToLower(title), out.Results, title)
				}
			}

			// similar: never the movie itself, sends nothing, SQLite's
			// neighbours.
			before := s.Stats().Requests
			for _, id := range []string{"1", top.ID} {
				for _, res := range similar(t, db, "299", id).Results {
					if res.ID == id {
						t.Fatalf("similar %s returned %s itself", id, id)
					}
				}
			}
			sim := similar(t, db, "10", "1")
			sameRanking(t, "similar", sim, wantSimilar, tt.exact)
			if sim.Results[0].Fields["title"] == nil {
				t.Errorf("similar's first result has no kept fields: %+v", sim.Results[0])
			}
			if n := s.Stats().Requests - before; n != 0 {
				t.Errorf("similar sent %d requests, want none", n)
			}

			// export: byte for byte what the SQLite store exports.
			lines, want := strings.SplitAfter(string(exported(t, db)), "\n"), strings.SplitAfter(string(wantExport), "\n")
			for i := range max(len(lines), len(want)) {
				if i >= len(lines) || i >= len(want) || lines[i] != want[i] {
					t.Errorf("export --format jsonl: %d lines, SQLite's %d; line %d differs:\n%.400s", len(lines), len(want), i+1, append(lines, "(none)")[min(i, len(lines))])
					break
				}
			}

			// serve: the API answers from the same store.
			base, stop := startServe(t, "--db", db, "--host", s.URL())
			var api searchOut
			getJSON(t, base+"/api/similar/movies/1?k=10", &api)
			sameRanking(t, "serve's /api/similar", api, sim, true)
			var m struct {
				Points []struct{ ID, Label string }
				Total  int
			}
			getJSON(t, base+"/api/map/movies", &m)
			if len(m.Points) != 300 || m.Total != 300 || m.Points[0].Label != "Dusk in Kestrel Bay" {
				t.Errorf("serve's /api/map: %d points of %d, first %+v; want the 300 movies labelled with their titles", len(m.Points), m.Total, m.Points[:min(1, len(m.Points))])
			}
			if code := stop(); code != ExitOK {
				t.Errorf("serve exited %d", code)
			}
		})
	}
}

// sameRanking compares the results of a store with the reference's: the
// same IDs and scores when both search exactly; with an approximate index
// (HNSW), the same first result and at least 8 of the same 10.
func sameRanking(t *testing.T, what string, got, want searchOut, exact bool) {
	t.Helper()
	ids := func(o searchOut) []string {
		var s []string
		for _, r := range o.Results {
			s = append(s, r.ID)
		}
		return s
	}
	g, w := ids(got), ids(want)
	if len(g) != len(w) || len(g) == 0 || g[0] != w[0] {
		t.Errorf("%s: %q, want %q", what, g, w)
		return
	}
	if exact {
		for i := range got.Results {
			if d := got.Results[i].Score - want.Results[i].Score; g[i] != w[i] || d > 1e-5 || d < -1e-5 {
				t.Errorf("%s, rank %d: %s scoring %v, want %s scoring %v", what, i+1, g[i], got.Results[i].Score, w[i], want.Results[i].Score)
			}
		}
		return
	}
	common := 0
	for _, id := range g {
		if slices.Contains(w, id) {
			common++
		}
	}
	if common < 8 {
		t.Errorf("%s: only %d of the first 10 in common: %q, want %q", what, common, g, w)
	}
}

// A schema written before salvo kept fields (version 1) is left as it is
// by a reader, upgraded by the next embed, which stores the kept fields
// from the cache, sending nothing.
func TestKeptFieldsAfterUpgrade(t *testing.T) {
	const model = "all-minilm"
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Models: []string{model}, Dims: 16})
	db := srv.Fresh(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("schema")
	embed := func() result {
		return run(t, "", "embed", repoFile(t, "examples/movies.jsonl"), "--host", s.URL(), "--model", model, "--db", db,
			"--text", "{{.title}}", "--keep", "title,year", "--json")
	}
	if r := embed(); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	srv.Exec(t, fmt.Sprintf(`DROP TRIGGER item_words ON %[1]s.items;
		DROP FUNCTION %[1]s.item_words(); DROP FUNCTION %[1]s.words_of(text, json);
		ALTER TABLE %[1]s.items DROP COLUMN words;
		ALTER TABLE %[1]s.collections DROP COLUMN prefix, DROP COLUMN endpoint, DROP COLUMN dimensions, DROP COLUMN digest, DROP COLUMN keep;
		ALTER TABLE %[1]s.items DROP COLUMN fields;
		UPDATE %[1]s.meta SET value = '1' WHERE key = 'schema_version'`, schema))

	// A reader upgrades nothing: it says to run salvo embed.
	if r := run(t, "", "similar", "--db", db, "--k", "1", "--json", "1"); r.code != ExitFatal || !strings.Contains(r.err, "schema version 1") || !strings.Contains(r.err, "run salvo embed with this --db once") {
		t.Errorf("similar on a version 1 schema: exit %d: %s", r.code, r.err)
	}
	var version string
	srv.Scan(t, fmt.Sprintf("SELECT value FROM %s.meta WHERE key = 'schema_version'", schema), nil, &version)
	if version != "1" {
		t.Errorf("similar upgraded the schema to version %s", version)
	}
	r := embed()
	if r.code != ExitOK {
		t.Fatalf("embed after the upgrade: exit %d: %s", r.code, r.err)
	}
	if m := r.summary(t); num(m, "requests") != 0 || num(m, "embedded") != 0 {
		t.Errorf("embed after the upgrade sent %d requests and embedded %d, want none", num(m, "requests"), num(m, "embedded"))
	}
	out := decodeResults(t, run(t, "", "similar", "--db", db, "--k", "1", "--json", "1"))
	if f := out.Results[0].Fields; f["title"] == nil || f["year"] == nil {
		t.Errorf("kept fields after the next embed: %+v", out.Results[0])
	}
}

// Against the real fixture Ollama, into PGlite with pgvector: the database
// ranks, and each title finds its movie first, with its kept fields.
func TestSearchRealOllamaPgvector(t *testing.T) {
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" || os.Getenv("SALVO_SKIP_REAL_OLLAMA") != "" {
		t.Skip(`set OLLAMA_HOST and SALVO_TEST_MODEL to run against a real Ollama: eval "$(scripts/real-ollama.sh up)" (or run scripts/test.sh)`)
	}
	db := pgtest.PGlite(t).Fresh(t)
	if r := run(t, "", "embed", repoFile(t, "examples/movies.jsonl"), "--host", host, "--model", model, "--db", db,
		"--text", "{{.title}}", "--keep", "title,year,genres", "--quiet"); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	for _, title := range []string{"Dusk in Kestrel Bay", "The Waltz of Kestrel Mills"} {
		out := decodeResults(t, run(t, "", "search", "--host", host, "--db", db, "--k", "3", "--json", "--query-prefix", "", title))
		if top := out.Results[0]; top.Fields["title"] != title || top.Fields["year"] == nil || top.Score < 0.999 {
			t.Errorf("search %q: first result %+v", title, top)
		}
	}
}
