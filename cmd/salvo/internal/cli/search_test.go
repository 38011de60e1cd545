package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// moviesDB embeds the sample catalog with the title as text, so that a
// query for a title finds that movie first whatever the model: ollamatest's
// vectors are a hash of the text, the fixture model's random weights still
// give a text its own vector.
func moviesDB(t *testing.T, host, model string, extra ...string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "movies.db")
	args := append([]string{"embed", repoFile(t, "examples/movies.jsonl"), "--host", host, "--model", model, "--db", db,
		"--text", "{{.title}}", "--keep", "title,year,genres", "--quiet"}, extra...)
	if r := run(t, "", args...); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	return db
}

type searchOut struct {
	Results []searchResult
}

type searchResult struct {
	ID     string
	Score  float64
	Fields map[string]any
	Text   string
}

func decodeResults(t *testing.T, r result) searchOut {
	t.Helper()
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var out searchOut
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("--json output %q: %v", r.out, err)
	}
	return out
}

func TestSearchFindsTheTitle(t *testing.T) {
	const model = "all-minilm" // no query prefix: the query text is the title itself
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	before := s.Stats().Requests
	out := decodeResults(t, run(t, "", "search", "--host", s.URL(), "--db", db, "--mode", "vector", "--k", "3", "--json", "The Waltz of Kestrel Mills"))
	if len(out.Results) != 3 {
		t.Fatalf("%d results, want 3", len(out.Results))
	}
	top := out.Results[0]
	if top.Fields["title"] != "The Waltz of Kestrel Mills" || top.Score < 0.9999 || top.Text != "The Waltz of Kestrel Mills" {
		t.Errorf("first result %+v, want The Waltz of Kestrel Mills with score 1", top)
	}
	if !(out.Results[1].Score <= top.Score && out.Results[2].Score <= out.Results[1].Score) {
		t.Errorf("results not best first: %+v", out.Results)
	}
	if n := s.Stats().Requests - before; n < 1 {
		t.Errorf("search sent %d requests", n)
	}

	// The table: rank, score and the kept fields.
	r := run(t, "", "search", "--host", s.URL(), "--db", db, "--mode", "vector", "--k", "2", "The Waltz of Kestrel Mills")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != ExitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "RANK  SCORE   ID") || !strings.Contains(lines[0], "TITLE") ||
		!strings.HasPrefix(lines[1], "1     1.0000") || !strings.Contains(lines[1], "The Waltz of Kestrel Mills") {
		t.Errorf("table (exit %d):\n%s%s", r.code, r.out, r.err)
	}
	// --show picks the columns.
	r = run(t, "", "search", "--host", s.URL(), "--db", db, "--k", "1", "--show", "year", "The Waltz of Kestrel Mills")
	if !strings.Contains(r.out, "YEAR") || strings.Contains(r.out, "TITLE") {
		t.Errorf("--show year:\n%s%s", r.out, r.err)
	}
}

func TestQueryPrefixEmbedsWithTheDocumentPrefix(t *testing.T) {
	// A collection embedded with --prefix keeps it; the text shown has it removed.
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model, "--prefix", "doc: ")
	out := decodeResults(t, run(t, "", "search", "--host", s.URL(), "--db", db, "--mode", "vector", "--k", "1", "--json", "--query-prefix", "doc: ", "The Waltz of Kestrel Mills"))
	if top := out.Results[0]; top.Score < 0.9999 || top.Text != "The Waltz of Kestrel Mills" {
		t.Errorf("first result %+v", top)
	}
}

func TestSimilarNeverReturnsItself(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	before := s.Stats().Requests
	out := decodeResults(t, run(t, "", "similar", "--db", db, "--k", "299", "--json", "1"))
	if len(out.Results) != 299 {
		t.Fatalf("%d results, want the 299 other movies", len(out.Results))
	}
	for _, r := range out.Results {
		if r.ID == "1" {
			t.Fatal("similar returned the ID asked for")
		}
	}
	if n := s.Stats().Requests - before; n != 0 {
		t.Errorf("similar sent %d requests, want none", n)
	}
	// Movie 1's nearest is the movie whose nearest it is, scored alike.
	back := decodeResults(t, run(t, "", "similar", "--db", db, "--k", "300", "--json", out.Results[0].ID))
	for _, r := range back.Results {
		if r.ID == "1" && r.Score != out.Results[0].Score {
			t.Errorf("score(1, %s) = %v one way, %v the other", out.Results[0].ID, out.Results[0].Score, r.Score)
		}
	}
}

func TestSearchErrors(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	other := server(t, ollamatest.Config{Models: []string{"nomic-embed-text"}})
	dead := server(t, ollamatest.Config{Models: []string{model}})
	deadURL := dead.URL()
	dead.Close()

	empty := filepath.Join(t.TempDir(), "empty.db")
	blank := writeFile(t, t.TempDir(), "blank.jsonl", `{"id":"a","title":""}`+"\n")
	run(t, "", "embed", blank, "--host", s.URL(), "--model", model, "--db", empty, "--text", "{{.title}}", "--quiet")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown ID", []string{"similar", "--db", db, "nope"}, `no such ID "nope" in collection "movies"`},
		{"unknown collection", []string{"search", "--host", s.URL(), "--db", db, "--collection", "films", "x"}, `has no collection "films"; its collections: movies`},
		{"unknown collection (similar)", []string{"similar", "--db", db, "--collection", "films", "1"}, `has no collection "films"`},
		{"empty query", []string{"search", "--host", s.URL(), "--db", db, "  "}, "empty query"},
		{"no query", []string{"search", "--host", s.URL(), "--db", db}, "empty query"},
		{"no server", []string{"search", "--mode", "vector", "--host", deadURL, "--db", db, "x"}, "cannot reach Ollama at " + deadURL},
		{"another model", []string{"search", "--host", s.URL(), "--db", db, "--model", "nomic-embed-text", "x"}, `collection "movies" holds vectors of model "all-minilm", not "nomic-embed-text"`},
		{"server without the model", []string{"search", "--mode", "vector", "--host", other.URL(), "--db", db, "x"}, "ollama pull all-minilm"},
		{"empty collection", []string{"search", "--host", s.URL(), "--db", empty, "x"}, `collection is empty: "blank" has no vectors yet`},
		{"k of 0", []string{"similar", "--db", db, "--k", "0", "1"}, "ask for at least 1 result"},
		{"no database", []string{"similar", "--db", filepath.Join(t.TempDir(), "none.db"), "1"}, "does not exist"},
	} {
		r := run(t, "", tc.args...)
		if r.code != ExitFatal || !strings.Contains(r.err, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", tc.name, r.code, r.err, tc.want)
		}
	}
}

// The dimensions check: a server answering other vectors under the same
// model name (another build, or --dimensions) is refused.
func TestSearchOtherDimensions(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	small := server(t, ollamatest.Config{Models: []string{model}, Dims: 384})
	r := run(t, "", "search", "--host", small.URL(), "--db", db, "x")
	if r.code != ExitFatal || !strings.Contains(r.err, "answers 384-dimensional vectors, but collection \"movies\" holds 768") {
		t.Errorf("exit %d, stderr %q", r.code, r.err)
	}
}

// Against the real fixture Ollama: the title finds its movie first.
func TestSearchRealOllama(t *testing.T) {
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" || os.Getenv("SALVO_SKIP_REAL_OLLAMA") != "" {
		t.Skip(`set OLLAMA_HOST and SALVO_TEST_MODEL to run against a real Ollama: eval "$(scripts/real-ollama.sh up)" (or run scripts/test.sh)`)
	}
	db := moviesDB(t, host, model)
	for _, title := range []string{"Dusk in Kestrel Bay", "The Waltz of Kestrel Mills"} {
		out := decodeResults(t, run(t, "", "search", "--host", host, "--db", db, "--k", "3", "--json", "--query-prefix", "", title))
		if top := out.Results[0]; top.Fields["title"] != title || top.Score < 0.999 {
			t.Errorf("search %q: first result %+v", title, top)
		}
	}
}
