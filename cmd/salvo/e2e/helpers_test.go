package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
)

const moviesTemplate = `{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`

// result is what one salvo invocation did.
type result struct {
	code     int
	out, err string
	took     time.Duration
}

// salvo runs the command line in this process.
func salvo(t *testing.T, args ...string) result {
	t.Helper()
	return salvoCtx(context.Background(), args...)
}

// salvoCtx is salvo for goroutines and cancellable runs: it never calls t.
func salvoCtx(ctx context.Context, args ...string) result {
	var out, errb bytes.Buffer
	start := time.Now()
	code := cli.Main(ctx, args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb, IsTerminal: func() bool { return false }})
	return result{code: code, out: out.String(), err: errb.String(), took: time.Since(start)}
}

// summary is the --json summary of salvo embed.
type summary struct {
	Read      int     `json:"read"`
	Embedded  int     `json:"embedded"`
	Cached    int     `json:"cached"`
	Failed    int     `json:"failed"`
	Truncated int     `json:"truncated"`
	Requests  int     `json:"requests"`
	Retries   int     `json:"retries"`
	Splits    int     `json:"splits"`
	LoadSecs  float64 `json:"model_load_seconds"`
}

func (r result) summary(t *testing.T) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("--json output %q: %v\nstderr:\n%s", r.out, err, r.err)
	}
	return s
}

// embedOK runs salvo embed with --json and fails the test unless it exits 0.
func embedOK(t *testing.T, args ...string) (summary, result) {
	t.Helper()
	r := salvo(t, append([]string{"embed", "--json"}, args...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("salvo embed %s: exit %d, want 0\nstderr:\n%s", strings.Join(args, " "), r.code, r.err)
	}
	return r.summary(t), r
}

// collection is one entry of `salvo status --json`.
type collection struct {
	Name  string `json:"name"`
	Model string `json:"model"`
	Dims  int    `json:"dims"`
	Count int    `json:"count"`
}

// status returns the only collection of db; a database that does not exist
// yet, or has no collection yet, reads as an empty collection.
func status(t *testing.T, db string) collection {
	t.Helper()
	c, err := statusOf(db)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// statusOf is status for polling loops.
func statusOf(db string) (collection, error) {
	if _, err := os.Stat(db); err != nil {
		return collection{}, nil
	}
	r := salvoCtx(context.Background(), "status", "--db", db, "--json")
	var st struct{ Collections []collection }
	if r.code != 0 {
		return collection{}, fmt.Errorf("salvo status --db %s: exit %d: %s", db, r.code, r.err)
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || len(st.Collections) > 1 {
		return collection{}, fmt.Errorf("salvo status --db %s --json: want one collection, got %q (%v)", db, r.out, err)
	}
	if len(st.Collections) == 0 {
		return collection{}, nil
	}
	return st.Collections[0], nil
}

// exported writes db's only collection out with salvo export and reads it
// back, by record ID.
func exported(t *testing.T, db string) map[string][]float64 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.jsonl")
	if r := salvo(t, "export", "--db", db, "--format", "jsonl", "--out", out); r.code != 0 {
		t.Fatalf("salvo export --db %s: exit %d\n%s", db, r.code, r.err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vecs := map[string][]float64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var rec struct {
			ID     string    `json:"id"`
			Vector []float64 `json:"vector"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("export of %s: %v in %.80q", db, err, sc.Text())
		}
		if _, dup := vecs[rec.ID]; dup {
			t.Errorf("export of %s: ID %q appears twice", db, rec.ID)
		}
		vecs[rec.ID] = rec.Vector
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vecs
}

// cosine compares two vectors whatever their lengths (salvo stores unit
// vectors, but the test should not depend on it).

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// realServer returns the shared real Ollama and its model, or skips.
func realServer(t *testing.T) (host, model string) {
	t.Helper()
	host, model = os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" {
		t.Skip(`set OLLAMA_HOST and SALVO_TEST_MODEL to run against a real Ollama: eval "$(scripts/real-ollama.sh up)" (or run scripts/test.sh)`)
	}
	return host, model
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func moviesFile(t *testing.T) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "examples", "movies.jsonl")
}

// movies writes the first n records of the sample catalog to a file of its
// own, named movies.jsonl so the collection is called "movies".
func movies(t *testing.T, n int) string {
	t.Helper()
	b, err := os.ReadFile(moviesFile(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if n > len(lines) {
		t.Fatalf("the sample catalog has fewer than %d records", n)
	}
	p := filepath.Join(t.TempDir(), "movies.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines[:n], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// movieIDs lists the IDs of a catalog file.
func movieIDs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var rec struct{ ID json.RawMessage }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		ids = append(ids, strings.Trim(string(rec.ID), `"`))
	}
	return ids
}

// waitFor polls cond every interval until it holds or the deadline passes.
func waitFor(t *testing.T, what string, deadline time.Duration, cond func() (bool, error)) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, deadline)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
