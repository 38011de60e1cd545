package e2e

import (
	"strings"
	"testing"

	root "github.com/salvoembed/salvo"
)

// Against a real Ollama: a model name with one letter left out gets "did
// you mean" the real one, and "name:latest" is the model "name".
func TestRealModelTypo(t *testing.T) {
	host, model := realServer(t)
	name := root.CanonicalModel(model)
	base, tag, _ := strings.Cut(name, ":")
	typo := base[:len(base)-2] + base[len(base)-1:]
	if tag != "" {
		typo += ":" + tag
	}
	in := movies(t, 3)
	r := salvo(t, "embed", in, "--host", host, "--model", typo, "--db", t.TempDir()+"/m.db", "--fields", "title")
	if want := "did you mean " + name + "? That server has it: pass --model " + name; r.code != 1 || !strings.Contains(r.err, want) {
		t.Errorf("--model %s: exit %d, stderr:\n%s\nwant %q", typo, r.code, r.err, want)
	}
}
