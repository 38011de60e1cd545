package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// A mistyped model gets "did you mean" from the server's /api/tags, also
// after a --pull of the typo fails, whose error is said once.
func TestModelTypo(t *testing.T) {
	s := server(t, ollamatest.Config{Models: []string{"salvo-fixture-minilm", "nomic-embed-text"}, Dims: 8})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n")
	db := filepath.Join(dir, "m.db")
	r := run(t, "", "embed", in, "--db", db, "--host", s.URL(), "--model", "salvo-fixture-minlm")
	want := "salvo: model \"salvo-fixture-minlm\" not found on " + s.URL() + " (not in /api/tags); did you mean salvo-fixture-minilm? That server has it: pass --model salvo-fixture-minilm. To use salvo-fixture-minlm itself, run `ollama pull salvo-fixture-minlm` on that server, or pass --pull\n"
	if r.code != ExitFatal || r.err != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, r.err, want)
	}
	r = run(t, "", "embed", in, "--db", db, "--host", s.URL(), "--model", "salvo-fixture-minlm", "--pull")
	want = "salvo: pulling salvo-fixture-minlm on " + s.URL() + " failed: pull model manifest: file does not exist; did you mean salvo-fixture-minilm? That server has it: pass --model salvo-fixture-minilm\n"
	if r.code != ExitFatal || !strings.HasSuffix(r.err, want) {
		t.Errorf("--pull: exit %d, stderr:\n%s\nwant it to end with:\n%s", r.code, r.err, want)
	}
	if n := strings.Count(r.err, "pulling salvo-fixture-minlm on"); n != 2 { // the progress line, and the error once
		t.Errorf("--pull: %q said %d times, want twice (progress and error):\n%s", "pulling salvo-fixture-minlm on", n, r.err)
	}
	// Nothing close: the plain advice.
	r = run(t, "", "embed", in, "--db", db, "--host", s.URL(), "--model", "mxbai-embed-large")
	want = "salvo: model \"mxbai-embed-large\" not found on " + s.URL() + " (not in /api/tags): run `ollama pull mxbai-embed-large` on that server, or pass --pull\n"
	if r.code != ExitFatal || r.err != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, r.err, want)
	}
	if n := s.Stats().ByPath["/api/embed"] + s.Stats().ByPath["/v1/embeddings"]; n != 0 {
		t.Errorf("%d embedding requests, want none", n)
	}
}

// "name:latest" and "name" are one model: a collection embedded with one
// goes on with the other, from its stored vectors.
func TestModelLatestIsTheSameModel(t *testing.T) {
	s := server(t, ollamatest.Config{Models: []string{"salvo-fixture-minilm"}, Dims: 8})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n")
	db := filepath.Join(dir, "m.db")
	for i, model := range []string{"salvo-fixture-minilm", "salvo-fixture-minilm:latest", "salvo-fixture-minilm:LATEST"} {
		r := run(t, "", "embed", in, "--db", db, "--host", s.URL(), "--model", model, "--json")
		m := r.summary(t)
		if r.code != ExitOK {
			t.Fatalf("--model %s: exit %d\n%s", model, r.code, r.err)
		}
		if i > 0 && (num(m, "cached") != 2 || num(m, "embedded") != 0) {
			t.Errorf("--model %s: summary %v, want both records found stored", model, m)
		}
		if m["model"] != "salvo-fixture-minilm" {
			t.Errorf("--model %s: stored as model %v, want salvo-fixture-minilm", model, m["model"])
		}
	}
	r := run(t, "", "search", "--db", db, "--host", s.URL(), "--model", "salvo-fixture-minilm:latest", "one")
	if r.code != ExitOK {
		t.Errorf("search --model …:latest: exit %d\n%s", r.code, r.err)
	}
}
