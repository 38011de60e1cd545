package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// The command lines of the README and of the issue that reads a pipe: a
// process substitution of zcat (salvo gets /dev/fd/N, a name without an
// extension), and records piped in with no FILE at all. Both are read by
// their content, without --format.
func TestPipesWithoutFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it through bash")
	}
	if _, err := exec.LookPath("zcat"); err != nil {
		t.Skip("zcat is missing (apt-get install gzip)")
	}
	bin := buildSalvo(t)
	dir := t.TempDir()
	data, err := os.ReadFile(moviesFile(t))
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(data), "\n")
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data)
	w.Close()
	if err := os.WriteFile(filepath.Join(dir, "big.jsonl.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "movies.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := ollamatest.New(ollamatest.Config{Dims: 16})
	t.Cleanup(srv.Close)
	for _, line := range []string{
		`salvo embed <(zcat big.jsonl.gz) --collection big`,
		`cat movies.jsonl | salvo embed --collection m`,
	} {
		t.Run(line, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", line+` --text "$TEMPLATE" --json`)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
				"OLLAMA_HOST="+srv.URL(), "TEMPLATE="+moviesTemplate)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", line, err, errb.String())
			}
			s := result{out: out.String(), err: errb.String()}.summary(t)
			if s.Read != n || s.Failed != 0 || s.Embedded+s.Cached != n {
				t.Errorf("%s: summary %+v, want all %d records stored\n%s", line, s, n, errb.String())
			}
		})
	}
	r := salvo(t, "status", "--db", filepath.Join(dir, "salvo.db"), "--json")
	var st struct{ Collections []collection }
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.out, r.err)
	}
	got := map[string]int{}
	for _, c := range st.Collections {
		got[c.Name] = c.Count
	}
	if got["big"] != n || got["m"] != n || len(got) != 2 {
		t.Errorf("collections %v, want big and m with %d records each", got, n)
	}
}
