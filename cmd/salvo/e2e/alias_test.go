package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// readmeBlock returns the lines of the first ```bash block after heading
// in README.md.
func readmeBlock(t *testing.T, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "\n```bash\n")
	if !ok {
		t.Fatalf("README.md has no ```bash block under %q", heading)
	}
	block, _, _ := strings.Cut(rest, "\n```\n")
	return strings.Split(block, "\n")
}

// The README's model switch, as written: movies → movies_v1 serves while
// movies_v2 is embedded with another model, search compares the two, the
// alias is switched and rolled back; meanwhile the alias answers from the
// collection it points to. Then drop refuses the aliased collection.
func TestREADMEModelSwitchWithAlias(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs the README's lines through bash")
	}
	bin := buildSalvo(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(moviesFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "examples", "movies.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := ollamatest.New(ollamatest.Config{Dims: 16, Models: []string{"all-minilm", "nomic-embed-text"}})
	t.Cleanup(srv.Close)
	sh := func(line string) (string, string, error) {
		cmd := exec.Command("bash", "-c", line)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "OLLAMA_HOST="+srv.URL())
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	// target is the collection the alias movies points to, as salvo
	// status --json says, and the model export --collection movies reads.
	target := func() string {
		t.Helper()
		out, errs, err := sh("salvo status --json")
		if err != nil {
			t.Fatalf("salvo status --json: %v\n%s", err, errs)
		}
		var st struct {
			Aliases []struct{ Name, Collection string }
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("salvo status --json = %q: %v", out, err)
		}
		for _, a := range st.Aliases {
			if a.Name == "movies" {
				return a.Collection
			}
		}
		return ""
	}
	searches := map[string]string{}
	var ran int
	for _, line := range readmeBlock(t, "## Aliases: change the model without downtime") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out, errs, err := sh(line)
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", line, err, out, errs)
		}
		ran++
		switch {
		case strings.HasPrefix(line, "salvo search"):
			if strings.Count(out, "\n") < 3 {
				t.Errorf("%s printed no results:\n%s", line, out)
			}
			searches[strings.Fields(line)[3]] = out
		case strings.Contains(line, "--collection movies_v2"):
			// movies still answered from v1 while v2 was embedded.
			if got := target(); got != "movies_v1" {
				t.Errorf("after embedding movies_v2: movies → %q, want movies_v1", got)
			}
		case line == "salvo alias movies movies_v2":
			if got := target(); got != "movies_v2" {
				t.Errorf("after %s: movies → %q", line, got)
			}
		case line == "salvo alias movies movies_v1":
			if got := target(); got != "movies_v1" {
				t.Errorf("after the roll back: movies → %q", got)
			}
		}
		// Whatever the step, the alias answers a search.
		if strings.HasPrefix(line, "salvo alias") {
			if out, errs, err := sh("salvo search --collection movies --json 'a heist comedy set in Paris'"); err != nil || !strings.Contains(out, `"results":[{`) {
				t.Errorf("search through the alias after %s: %v\n%s%s", line, err, out, errs)
			}
		}
	}
	if ran != 7 {
		t.Errorf("ran %d command lines of the README's flow, want 7", ran)
	}
	if len(searches) != 2 || searches["movies_v1"] == searches["movies_v2"] {
		t.Errorf("the two searches (one per model) should differ: %q", searches)
	}
	// movies → movies_v1 again: drop refuses v1 and names the alias; v2 goes.
	if _, errs, err := sh("salvo drop movies_v1"); err == nil || !strings.Contains(errs, `alias "movies"`) {
		t.Errorf("salvo drop movies_v1 while movies points to it: %v\n%s", err, errs)
	}
	if _, errs, err := sh("salvo drop movies_v2"); err != nil {
		t.Errorf("salvo drop movies_v2: %v\n%s", err, errs)
	}
	if _, errs, err := sh("salvo embed examples/movies.jsonl --collection movies --model all-minilm --text '{{.title}}'"); err == nil || !strings.Contains(errs, "--collection movies_v1") {
		t.Errorf("salvo embed into the alias: %v\n%s", err, errs)
	}
	// The salvo gc: movies_v2's vectors are no record's now.
	n := strings.Count(string(data), "\n")
	if _, errs, err := sh("salvo gc --dry-run"); err != nil || !strings.Contains(errs, "salvo gc would free them") {
		t.Errorf("salvo gc --dry-run: %v\n%s", err, errs)
	}
	out, errs, err := sh("salvo gc --json")
	var freed struct{ Rows, Bytes int64 }
	// One vector per distinct text of movies_v2 (a few records share one).
	if err != nil || json.Unmarshal([]byte(out), &freed) != nil || freed.Rows < int64(n*9/10) || freed.Rows > int64(n) || freed.Bytes < freed.Rows*16*4 {
		t.Errorf("salvo gc after dropping movies_v2 (%d records) = %q, %v\n%s", n, out, err, errs)
	}
	if out, errs, err := sh("salvo gc --json"); err != nil || !strings.HasPrefix(out, `{"rows":0,`) {
		t.Errorf("a second salvo gc = %q, %v\n%s", out, err, errs)
	}
	if out, _, err := sh("salvo export --collection movies --format ids --out -"); err != nil || strings.Count(out, "\n") != n {
		t.Errorf("movies → movies_v1 after gc exports %d IDs, want %d (%v)", strings.Count(out, "\n"), n, err)
	}
}
