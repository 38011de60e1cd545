package cli

import (
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// salvo search --mode: text needs no server (none answers here) and finds
// the exact title first; hybrid, the default, finds it first too with the
// fake server's vectors, which know no meaning; --where applies to both;
// an unknown mode is refused with the modes there are.
func TestSearchMode(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	const title = "The Waltz of Kestrel Mills"
	out := decodeResults(t, run(t, "", "search", "--mode", "text", "--host", "http://127.0.0.1:1", "--db", db, "--k", "3", "--json", "waltz KESTREL mills"))
	if len(out.Results) == 0 || out.Results[0].Fields["title"] != title {
		t.Errorf("--mode text: %+v, want %s first", out.Results, title)
	}
	for _, args := range [][]string{{}, {"--mode", "hybrid"}} {
		out := decodeResults(t, run(t, "", append(append([]string{"search", "--host", s.URL(), "--db", db, "--k", "3", "--json"}, args...), title)...))
		if len(out.Results) != 3 || out.Results[0].Fields["title"] != title {
			t.Errorf("search %q: %+v, want %s first", args, out.Results, title)
		}
	}
	for _, mode := range []string{"text", "hybrid"} {
		// The title's movie is of 1951, and two others are older.
		out := decodeResults(t, run(t, "", "search", "--mode", mode, "--host", s.URL(), "--db", db, "--k", "3", "--json", "--where", "year <= 1951", title))
		if len(out.Results) == 0 || out.Results[0].Fields["title"] != title || (mode == "hybrid" && len(out.Results) != 3) {
			t.Errorf("--mode %s --where 'year <= 1951': %+v, want %s first (and 3 results in hybrid)", mode, out.Results, title)
		}
		for _, r := range out.Results {
			if y, _ := r.Fields["year"].(float64); y > 1951 {
				t.Errorf("--mode %s --where 'year <= 1951': %+v", mode, r.Fields)
			}
		}
	}
	r := run(t, "", "search", "--mode", "bm25", "--db", db, title)
	if r.code != ExitFatal || !strings.Contains(r.err, `--mode: search mode "bm25": want one of hybrid, vector, text`) {
		t.Errorf("--mode bm25: exit %d: %s", r.code, r.err)
	}
	r = run(t, "", "search", "--mode", "text", "--db", db, "?!")
	if r.code != ExitFatal || !strings.Contains(r.err, "no word") || !strings.Contains(r.err, "--mode vector") {
		t.Errorf("--mode text '?!': exit %d: %s", r.code, r.err)
	}
}
