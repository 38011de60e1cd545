package serve_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/serve"
)

// /api/search takes mode=hybrid|vector|text: the exact title comes first
// in hybrid and text (the fake server's vectors know no meaning), text
// sends no request to the embedding server, and another mode is 400.
func TestSearchModeInAPI(t *testing.T) {
	movies, err := filepath.Abs("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	hs, ol := fixtureOf(t, movies, ollamatest.DefaultModel, serve.Options{})
	const title = "The Waltz of Kestrel Mills" // record 7
	search := func(mode, q string, status int) results {
		t.Helper()
		var r results
		get(t, hs.URL+"/api/search?collection=movies&k=5&mode="+mode+"&q="+url.QueryEscape(q), status, &r)
		return r
	}
	ol.Reset()
	r := search("text", strings.ToUpper(title), 200)
	if len(r.Results) == 0 || r.Results[0].ID != "7" || r.Results[0].Fields["title"] != title {
		t.Errorf("mode=text: %+v, want record 7 first with its fields", r.Results)
	}
	if n := ol.Stats().Requests; n != 0 {
		t.Errorf("mode=text sent %d requests to the embedding server, want none", n)
	}
	for _, mode := range []string{"hybrid", ""} {
		if r := search(mode, title, 200); len(r.Results) != 5 || r.Results[0].ID != "7" {
			t.Errorf("mode=%q: %+v, want 5 results, record 7 first", mode, r.Results)
		}
	}
	if r := search("text", "kestrel", 200); len(r.Results) == 0 {
		t.Errorf("mode=text kestrel: no result")
	}
	// Filters apply to every mode.
	for _, mode := range []string{"text", "hybrid", "vector"} {
		var r results
		get(t, hs.URL+"/api/search?collection=movies&k=5&mode="+mode+"&where="+url.QueryEscape("year < 0")+"&q="+url.QueryEscape(title), 200, &r)
		if len(r.Results) != 0 {
			t.Errorf("mode=%s where year < 0: %+v, want none", mode, r.Results)
		}
	}
	if r := search("fuzzy", title, 400); !strings.Contains(r.Error, `"fuzzy"`) || !strings.Contains(r.Error, "hybrid, vector, text") {
		t.Errorf("mode=fuzzy: error %q, want the mode and the modes there are", r.Error)
	}
	if r := search("text", "!!!", 400); !strings.Contains(r.Error, "no word") {
		t.Errorf("mode=text without a word: error %q", r.Error)
	}
}

// With the embedding server stopped, mode=hybrid (and the default) answers
// with the text ranking, "mode":"text" and a warning; mode=vector is 502.
func TestHybridWithoutEmbeddingServer(t *testing.T) {
	movies, err := filepath.Abs("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	hs, ol := fixtureOf(t, movies, ollamatest.DefaultModel, serve.Options{})
	const title = "The Waltz of Kestrel Mills" // record 7
	type answer struct {
		results
		Mode    string
		Warning string
	}
	search := func(mode string, status int) answer {
		t.Helper()
		var a answer
		get(t, hs.URL+"/api/search?collection=movies&k=5&mode="+mode+"&q="+url.QueryEscape(title), status, &a)
		return a
	}
	if a := search("hybrid", 200); a.Mode != "" || a.Warning != "" || len(a.Results) != 5 {
		t.Fatalf("hybrid with the server up: %+v, want 5 results and no warning", a)
	}
	ol.Close()
	text := search("text", 200)
	for _, mode := range []string{"hybrid", ""} {
		a := search(mode, 200)
		if a.Mode != "text" || !strings.Contains(a.Warning, "could not be embedded") || !strings.Contains(a.Warning, "words alone") {
			t.Errorf("mode=%q with the server stopped: mode %q, warning %q: want text and why", mode, a.Mode, a.Warning)
		}
		if len(a.Results) == 0 || a.Results[0].ID != "7" || len(a.Results) != len(text.Results) {
			t.Errorf("mode=%q with the server stopped: %+v, want the text ranking %+v", mode, a.Results, text.Results)
		}
	}
	if a := search("vector", 502); a.Error == "" || a.Mode != "" {
		t.Errorf("mode=vector with the server stopped: %+v, want an error", a)
	}
}
