package cli

import (
	"path/filepath"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// `salvo similar --db m.db 1 --k 100000000000` on 300 records ran out of
// memory. It gives the other 299, and search gives all 300.
func TestHugeK(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 16})
	db := filepath.Join(t.TempDir(), "m.db")
	if r := run(t, "", "embed", repoFile(t, "examples/movies.jsonl"), "--host", s.URL(), "--db", db, "--text", "{{.title}}", "--quiet"); r.code != ExitOK {
		t.Fatalf("embed exit %d: %s", r.code, r.err)
	}
	if got := decodeResults(t, run(t, "", "similar", "--db", db, "1", "--k", "100000000000", "--json")); len(got.Results) != 299 {
		t.Errorf("similar --k 100000000000: %d results, want the other 299", len(got.Results))
	}
	if got := decodeResults(t, run(t, "", "search", "--host", s.URL(), "--db", db, "--k", "100000000000", "--json", "heat")); len(got.Results) != 300 {
		t.Errorf("search --k 100000000000: %d results, want all 300", len(got.Results))
	}
}
