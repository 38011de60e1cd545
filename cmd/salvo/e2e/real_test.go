package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollamatest"
)

// The same movies through /api/embed, /api/embeddings and /v1/embeddings:
// every endpoint stores every record, and the vectors of a record agree. The
// fixture model has random weights (unrelated texts still score about 0.89),
// so only vectors of the same text are compared.
func TestRealEndpointsAgree(t *testing.T) {
	host, model := realServer(t)
	const n = 100
	in := movies(t, n)
	ids := movieIDs(t, in)
	vecs := map[string]map[string][]float64{}
	for _, api := range []string{"embed", "embeddings", "openai"} {
		db := filepath.Join(t.TempDir(), api+".db")
		s, _ := embedOK(t, in, "--host", host, "--model", model, "--api", api, "--db", db, "--text", moviesTemplate)
		if s.Read != n || s.Embedded+s.Cached != n || s.Failed != 0 {
			t.Errorf("--api %s: summary %+v, want %d read and stored", api, s, n)
		}
		if c := status(t, db); c.Count != n || c.Dims != 384 || c.Model != model {
			t.Errorf("--api %s: status %+v, want %d records of 384 dims from %s", api, c, n, model)
		}
		vecs[api] = exported(t, db)
	}
	for _, id := range ids {
		want := vecs["embed"][id]
		if len(want) != 384 || norm(want) < 0.999 || norm(want) > 1.001 {
			t.Errorf("record %s: /api/embed vector of %d dims, norm %.4f; want a unit vector of 384", id, len(want), norm(want))
			continue
		}
		for _, api := range []string{"embeddings", "openai"} {
			if c := ollamatest.Cosine(want, vecs[api][id]); !(c > 0.999) {
				t.Errorf("record %s: cosine(embed, %s) = %.5f, want > 0.999", id, api, c)
			}
		}
	}
}

func TestRealMissingModelFailsFast(t *testing.T) {
	host, _ := realServer(t)
	db := filepath.Join(t.TempDir(), "m.db")
	r := salvo(t, "embed", movies(t, 3), "--host", host, "--model", "salvo-no-such-model", "--db", db, "--text", moviesTemplate)
	if r.code != cli.ExitFatal {
		t.Errorf("exit %d, want %d\n%s", r.code, cli.ExitFatal, r.err)
	}
	if !strings.Contains(r.err, "ollama pull salvo-no-such-model") {
		t.Errorf("stderr lacks the `ollama pull salvo-no-such-model` hint:\n%s", r.err)
	}
	if r.took > 2*time.Second {
		t.Errorf("a missing model took %v to report, want under 2s", r.took)
	}
}

// A text far longer than the model's context (512 tokens) is cut by the
// server and counted as truncated; with --truncate=false it fails alone,
// with a message naming the context length.
func TestRealTruncation(t *testing.T) {
	host, model := realServer(t)
	dir := t.TempDir()
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven small owls watch from an old oak tree near the river")
	var long strings.Builder
	for i := range 2000 {
		if i > 0 {
			long.WriteByte(' ')
		}
		long.WriteString(words[i%len(words)])
	}
	var lines []string
	for i, text := range []string{"a short record", long.String(), "another short record", "a third short one"} {
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprint("r", i), "text": text})
		lines = append(lines, string(b))
	}
	in := filepath.Join(dir, "long.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	db := filepath.Join(dir, "cut.db")
	s, r := embedOK(t, in, "--host", host, "--model", model, "--db", db, "--chunk", "off")
	if s.Truncated != 1 || s.Failed != 0 || s.Embedded != 4 {
		t.Errorf("default flags: summary %+v, want 4 embedded, 1 truncated, 0 failed", s)
	}
	if !strings.Contains(r.err, "truncated") {
		t.Errorf("the report does not mention the truncated text:\n%s", r.err)
	}
	if c := status(t, db); c.Count != 4 {
		t.Errorf("default flags: %d records stored, want 4", c.Count)
	}

	db = filepath.Join(dir, "strict.db")
	failures := filepath.Join(dir, "strict.failures.jsonl")
	r = salvo(t, "embed", in, "--host", host, "--model", model, "--db", db, "--truncate=false", "--chunk", "off", "--json")
	if r.code != cli.ExitPartial {
		t.Fatalf("--truncate=false: exit %d, want %d\n%s", r.code, cli.ExitPartial, r.err)
	}
	if s := r.summary(t); s.Failed != 1 || s.Embedded != 3 {
		t.Errorf("--truncate=false: summary %+v, want 3 embedded and 1 failed", s)
	}
	if c := status(t, db); c.Count != 3 {
		t.Errorf("--truncate=false: %d records stored, want the 3 short ones", c.Count)
	}
	b, err := os.ReadFile(failures)
	if err != nil {
		t.Fatalf("failures file: %v", err)
	}
	var f struct{ ID, Where, Error string }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("failures file %s: %v\n%s", failures, err, b)
	}
	if f.ID != "r1" || !strings.HasSuffix(f.Where, "long.jsonl:2") || !strings.Contains(f.Error, "context length") || !strings.Contains(f.Error, "512") {
		t.Errorf("failure %+v: want record r1 at long.jsonl:2 with a message naming the context length (512)", f)
	}
}
