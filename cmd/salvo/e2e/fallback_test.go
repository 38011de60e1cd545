package e2e

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollamatest"
)

// TestHybridWithoutEmbeddingServer: with the embedding server stopped,
// salvo search (hybrid, the default) ranks by words alone, says so on
// stderr and in --json ("mode":"text", "warning"), and exits 0 with the
// results of --mode text; --mode vector still fails.
func TestHybridWithoutEmbeddingServer(t *testing.T) {
	srv := ollamatest.New(ollamatest.Config{Dims: 64})
	db := filepath.Join(t.TempDir(), "salvo.db")
	embedOK(t, movies(t, 200), "--db", db, "--host", srv.URL(), "--model", ollamatest.DefaultModel,
		"--text", "{{.title}}", "--keep", "title,year")
	host := srv.URL()
	srv.Close()

	type answer struct {
		Results []struct {
			ID     string          `json:"id"`
			Fields json.RawMessage `json:"fields"`
		} `json:"results"`
		Mode    string `json:"mode"`
		Warning string `json:"warning"`
	}
	search := func(args ...string) (answer, result) {
		t.Helper()
		r := salvo(t, append([]string{"search", "--db", db, "--host", host, "--k", "5", "--json"}, args...)...)
		var a answer
		if r.code == cli.ExitOK {
			if err := json.Unmarshal([]byte(r.out), &a); err != nil {
				t.Fatalf("salvo search %s: %v in %q", strings.Join(args, " "), err, r.out)
			}
		}
		return a, r
	}
	const query = "Dusk in Kestrel Bay"
	text, r := search("--mode", "text", query)
	if r.code != cli.ExitOK || len(text.Results) == 0 || text.Mode != "" || text.Warning != "" || r.err != "" {
		t.Fatalf("--mode text with the server stopped: exit %d, %+v, stderr %q: want results, no warning", r.code, text, r.err)
	}
	hybrid, r := search(query)
	if r.code != cli.ExitOK {
		t.Fatalf("hybrid with the server stopped: exit %d, stderr %q: want 0 and the text ranking", r.code, r.err)
	}
	if !strings.Contains(r.err, "salvo: warning: the results rank by words alone") || !strings.Contains(r.err, "words alone") {
		t.Errorf("hybrid with the server stopped: stderr %q, want a warning that the words alone ranked", r.err)
	}
	if hybrid.Mode != "text" || !strings.Contains(hybrid.Warning, "could not be embedded") {
		t.Errorf("hybrid with the server stopped: mode %q, warning %q: want \"text\" and why", hybrid.Mode, hybrid.Warning)
	}
	if !reflect.DeepEqual(hybrid.Results, text.Results) {
		t.Errorf("hybrid with the server stopped found %+v, want the text ranking's %+v", hybrid.Results, text.Results)
	}
	if hybrid.Results[0].ID != "1" {
		t.Errorf("hybrid with the server stopped: first %q, want the exact title's record 1", hybrid.Results[0].ID)
	}
	if _, r := search("--mode", "vector", query); r.code == cli.ExitOK || r.err == "" || strings.Contains(r.err, "words alone") {
		t.Errorf("--mode vector with the server stopped: exit %d, stderr %q: want a failure", r.code, r.err)
	}
}
