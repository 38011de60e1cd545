package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// result is what one salvo invocation did.
type result struct {
	code     int
	out, err string
}

func run(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb, IsTerminal: func() bool { return false }})
	return result{code, out.String(), errb.String()}
}

// summary decodes the --json summary of salvo embed.
func (r result) summary(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.out), &m); err != nil {
		t.Fatalf("--json output %q: %v\nstderr: %s", r.out, err, r.err)
	}
	for _, k := range []string{"read", "embedded", "cached", "failed", "requests", "retries", "seconds", "per_second"} {
		if _, ok := m[k]; !ok {
			t.Errorf("--json summary lacks %q: %s", k, r.out)
		}
	}
	return m
}

func num(m map[string]any, k string) int { f, _ := m[k].(float64); return int(f) }

func repoFile(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func server(t testing.TB, cfg ollamatest.Config) *ollamatest.Server {
	t.Helper()
	s := ollamatest.New(cfg)
	t.Cleanup(s.Close)
	return s
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const moviesTemplate = `{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`

func TestEmbedSampleCatalogThenRerunSendsNothing(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 2})
	db := filepath.Join(t.TempDir(), "movies.db")
	args := []string{"embed", repoFile(t, "examples/movies.jsonl"), "--host", s.URL(), "--db", db, "--text", moviesTemplate, "--json"}
	r := run(t, "", args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	m := r.summary(t)
	if num(m, "read") != 300 || num(m, "embedded")+num(m, "cached") != 300 || num(m, "failed") != 0 {
		t.Errorf("summary %v", m)
	}
	if num(m, "cached") != 3 { // the catalog repeats three texts under new IDs: each costs no request
		t.Errorf("cached %d, want 3 (the sample catalog's repeated texts)", num(m, "cached"))
	}
	if !strings.Contains(r.err, "300 read") {
		t.Errorf("the human report is missing from stderr: %s", r.err)
	}

	s.Reset()
	r = run(t, "", args...)
	m = r.summary(t)
	if r.code != ExitOK || num(m, "cached") != 300 || num(m, "requests") != 0 || s.Requests() != 0 {
		t.Errorf("re-run: exit %d, %v, server requests %d", r.code, m, s.Requests())
	}

	r = run(t, "", "status", "--db", db, "--json")
	var st struct {
		Collections []struct {
			Name, Model string
			Dims, Count int
		}
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || r.code != 0 {
		t.Fatalf("status: exit %d %q %v", r.code, r.out, err)
	}
	if len(st.Collections) != 1 || st.Collections[0].Name != "movies" || st.Collections[0].Model != "nomic-embed-text" ||
		st.Collections[0].Dims != 768 || st.Collections[0].Count != 300 {
		t.Errorf("status %+v", st)
	}
}

// The Vega movies catalog: 3,201 films, keys with spaces, many nulls, no
// IDs, as JSONL, CSV and a top-level JSON array. Every record is stored from
// each; the second and third files cost no request.
func TestForeignCatalogInThreeFormats(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 4})
	db := filepath.Join(t.TempDir(), "vega.db")
	tmpl := `{{.Title}} ({{index . "Release Date"}}): {{index . "Major Genre"}}, directed by {{.Director}}, rated {{index . "IMDB Rating"}}`
	for i, file := range []string{"vega-movies.jsonl", "vega-movies.csv", "vega-movies.json"} {
		s.Reset()
		r := run(t, "", "embed", repoFile(t, "testdata/catalogs/"+file), "--host", s.URL(), "--db", db, "--text", tmpl, "--batch-size", "128", "--json")
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d: %s", file, r.code, r.err)
		}
		m := r.summary(t)
		if num(m, "read") != 3201 || num(m, "failed") != 0 || num(m, "embedded")+num(m, "cached") != 3201 {
			t.Errorf("%s: %v", file, m)
		}
		if i > 0 && (s.Requests() != 0 || num(m, "cached") != 3201) {
			t.Errorf("%s: %d requests; the texts are the same as the first file's, so none should be sent (%v)", file, s.Requests(), m)
		}
	}
	r := run(t, "", "status", "--db", db, "--json")
	if !strings.Contains(r.out, `"count":9603`) {
		t.Errorf("status after three files of 3201 records: %s", r.out)
	}
}

func TestBadLinesAreReportedAndTheRunGoesOn(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}
{"id":2,"text":"two"
["not an object"]
{"id":4,"text":""}
{"id":5,"text":"five"}
`)
	db := filepath.Join(dir, "m.db")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--json")
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want %d: %s", r.code, ExitPartial, r.err)
	}
	m := r.summary(t)
	if num(m, "embedded") != 2 || num(m, "failed") != 3 {
		t.Errorf("summary %v", m)
	}
	failures, err := os.ReadFile(filepath.Join(dir, "m.failures.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(failures)), "\n")
	if len(lines) != 3 {
		t.Fatalf("failures file:\n%s", failures)
	}
	for i, want := range []string{"m.jsonl:2", "m.jsonl:3", "m.jsonl:4"} {
		var f struct{ Where, Error string }
		if err := json.Unmarshal([]byte(lines[i]), &f); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f.Where, want) || f.Error == "" {
			t.Errorf("failure %d = %+v, want it at %s with a reason", i, f, want)
		}
	}
	if !strings.Contains(r.err, "m.failures.jsonl") {
		t.Errorf("the report should name the failures file: %s", r.err)
	}

	// Fixing the file and running again stores the rest and removes the
	// stale failures file.
	writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}
{"id":2,"text":"two"}
{"id":4,"text":"four"}
{"id":5,"text":"five"}
`)
	r = run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded") != 2 || num(m, "cached") != 2 {
		t.Errorf("after the fix: exit %d %v", r.code, m)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.failures.jsonl")); !os.IsNotExist(err) {
		t.Errorf("stale failures file left behind: %v", err)
	}
}

func TestFatalErrors(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"title":"one","year":1999}`+"\n")
	db := filepath.Join(dir, "m.db")
	dead := ollamatest.New(ollamatest.Config{})
	deadURL := dead.URL()
	dead.Close()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing model", []string{"embed", in, "--host", s.URL(), "--db", db, "--model", "nope", "--fields", "title"}, []string{"ollama pull nope", "--pull"}},
		{"unreachable server", []string{"embed", in, "--host", deadURL, "--db", db, "--fields", "title"}, []string{"cannot reach Ollama", "ollama serve"}},
		{"no text field", []string{"embed", in, "--host", s.URL(), "--db", db}, []string{`no "text" field`, "--fields", "title, year"}},
		{"no files", []string{"embed", "--host", s.URL()}, []string{"no input files"}},
		{"missing file", []string{"embed", filepath.Join(dir, "nope.jsonl"), "--host", s.URL()}, []string{"nope.jsonl"}},
		{"bad flag", []string{"embed", in, "--bogus"}, []string{"bogus", "--help"}},
		{"bad api", []string{"embed", in, "--api", "grpc", "--host", s.URL()}, []string{"--api"}},
		{"openai cannot refuse long texts", []string{"embed", in, "--api", "openai", "--truncate=false", "--host", s.URL(), "--fields", "title"}, []string{"--api embed"}},
		{"bad concurrency", []string{"embed", in, "--concurrency", "0", "--host", s.URL()}, []string{"auto"}},
		{"unknown command", []string{"embedd"}, []string{"unknown command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			if r.code != ExitFatal {
				t.Errorf("exit %d, want %d", r.code, ExitFatal)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.err)
				}
			}
		})
	}
	if s.Stats().ByPath["/api/embed"] != 0 {
		t.Errorf("fatal errors should stop before any embedding request")
	}
}

func TestModelMismatchIsRefused(t *testing.T) {
	s := server(t, ollamatest.Config{Models: []string{"nomic-embed-text", "all-minilm"}})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
	db := filepath.Join(dir, "m.db")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--model", "all-minilm")
	if r.code != ExitFatal || !strings.Contains(r.err, "--collection") {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	r = run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--dimensions", "64")
	if r.code != ExitFatal || !strings.Contains(r.err, "768-dimensional") || !strings.Contains(r.err, "--collection") {
		t.Errorf("--dimensions on a 768-dimensional collection: exit %d: %s", r.code, r.err)
	}
}

func TestStdinAndFlagsAfterFiles(t *testing.T) {
	s := server(t, ollamatest.Config{})
	db := filepath.Join(t.TempDir(), "s.db")
	r := run(t, "id,title\n1,Alien\n2,Heat\n", "embed", "-", "--format", "csv", "--host", s.URL(), "--db", db, "--fields", "title", "--json", "--collection", "films")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded") != 2 {
		t.Fatalf("exit %d %v %s", r.code, m, r.err)
	}
	r = run(t, "", "status", "--db", db)
	if !strings.Contains(r.out, "films") {
		t.Errorf("status: %s", r.out)
	}
}

func TestPullMissingModel(t *testing.T) {
	s := server(t, ollamatest.Config{Models: []string{"other"}})
	s.AllowPull("nomic-embed-text")
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"), "--pull", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded") != 1 {
		t.Fatalf("exit %d %v: %s", r.code, m, r.err)
	}
	if !strings.Contains(r.err, "pulling nomic-embed-text") || !strings.Contains(r.err, "success") {
		t.Errorf("pull progress missing from stderr: %s", r.err)
	}
}

func TestOllamaHostFromEnvironment(t *testing.T) {
	s := server(t, ollamatest.Config{})
	old := Getenv
	Getenv = func(k string) string {
		if k == "OLLAMA_HOST" {
			return strings.TrimPrefix(s.URL(), "http://") // host:port without a scheme, as Ollama accepts
		}
		return ""
	}
	defer func() { Getenv = old }()
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
	if r := run(t, "", "embed", in, "--db", filepath.Join(dir, "m.db")); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if s.Requests() != 1 {
		t.Errorf("requests %d", s.Requests())
	}
}

func TestExportJSONL(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":"a","text":"one"}`+"\n"+`{"id":"b","text":"two"}`+"\n")
	db := filepath.Join(dir, "m.db")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	out := filepath.Join(dir, "v.jsonl")
	if r := run(t, "", "export", "--db", db, "--format", "jsonl", "--out", out); r.code != ExitOK {
		t.Fatalf("export exit %d: %s", r.code, r.err)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("export:\n%s", b)
	}
	for i, id := range []string{"a", "b"} {
		var rec struct {
			ID     string    `json:"id"`
			Vector []float32 `json:"vector"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		want := ollamatest.Vector("nomic-embed-text", map[string]string{"a": "one", "b": "two"}[id], 8)
		if rec.ID != id || len(rec.Vector) != 8 {
			t.Errorf("line %d: %+v", i, rec)
			continue
		}
		for j := range want {
			if d := rec.Vector[j] - want[j]; d > 1e-6 || d < -1e-6 {
				t.Errorf("line %d: vector %v, want %v", i, rec.Vector, want)
				break
			}
		}
	}
}

func TestAutoPrefersBase64WhereTheServerHasIt(t *testing.T) {
	for _, tc := range []struct {
		version string
		extra   []string
		want    string
	}{
		{"0.17.4", nil, "/v1/embeddings"},
		{"0.12.7", nil, "/v1/embeddings"},
		{"0.12.6", nil, "/api/embed"},
		{"0.17.4", []string{"--keep-alive", "5m"}, "/api/embed"},
		{"0.17.4", []string{"--truncate=false"}, "/api/embed"},
		{"0.0.0-dev+x", nil, "/api/embed"},
	} {
		s := server(t, ollamatest.Config{Version: tc.version})
		dir := t.TempDir()
		in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
		r := run(t, "", append([]string{"embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"), "--json"}, tc.extra...)...)
		m := r.summary(t)
		if r.code != ExitOK || m["endpoint"] != tc.want || s.Stats().ByPath[tc.want] != 1 {
			t.Errorf("version %s %v: exit %d, endpoint %v, requests by path %v; want %s", tc.version, tc.extra, r.code, m["endpoint"], s.Stats().ByPath, tc.want)
		}
	}
}

func TestOneDeadHostOfSeveralIsSkipped(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dead := ollamatest.New(ollamatest.Config{})
	deadURL := dead.URL()
	dead.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n"+`{"id":2,"text":"two"}`+"\n")
	r := run(t, "", "embed", in, "--host", deadURL+","+s.URL(), "--db", filepath.Join(dir, "m.db"), "--json")
	m := r.summary(t)
	if r.code != ExitOK || num(m, "embedded") != 2 || num(m, "hosts") != 1 {
		t.Fatalf("exit %d %v: %s", r.code, m, r.err)
	}
	if !strings.Contains(r.err, "warning: cannot reach Ollama at "+deadURL) {
		t.Errorf("stderr should warn about the dead host:\n%s", r.err)
	}
	r = run(t, "", "embed", in, "--host", deadURL+","+deadURL, "--db", filepath.Join(dir, "m.db"))
	if r.code != ExitFatal || !strings.Contains(r.err, "none of the 2 servers answers") {
		t.Errorf("all hosts dead: exit %d: %s", r.code, r.err)
	}
}
