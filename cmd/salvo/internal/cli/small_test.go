package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// Every command's help says what it does and shows an example, and no
// default is printed twice.
func TestHelpTeaches(t *testing.T) {
	for _, cmd := range []string{"embed", "status", "export", "bench"} {
		r := run(t, "", cmd, "--help")
		if r.code != ExitOK {
			t.Errorf("%s --help: exit %d", cmd, r.code)
		}
		if !strings.Contains(r.err, "salvo "+cmd+" ") || !strings.Contains(r.err, "Example") {
			t.Errorf("%s --help shows no example:\n%s", cmd, r.err)
		}
		for _, line := range strings.Split(r.err, "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("%s --help: a default printed twice: %q", cmd, line)
			}
		}
	}
	r := run(t, "", "--help")
	if !strings.Contains(r.out, "salvo embed examples/movies.jsonl") || !strings.Contains(r.out, "salvo status") {
		t.Errorf("salvo --help should show where to start:\n%s", r.out)
	}
}

// export names the collections that exist when asked for another one.
func TestExportUnknownCollectionListsThem(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	for _, name := range []string{"movies", "books"} {
		in := writeFile(t, dir, name+".jsonl", `{"id":1,"text":"one"}`+"\n")
		if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db); r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
	}
	r := run(t, "", "export", "--db", db, "--collection", "nope")
	if r.code != ExitFatal || !strings.Contains(r.err, `has no collection "nope"; its collections: books, movies`) {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	r = run(t, "", "export", "--db", db)
	if r.code != ExitFatal || !strings.Contains(r.err, "holds 2 collections (books, movies): choose one with --collection") {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	if r := run(t, "", "export", "--db", db, "--collection", "books"); r.code != ExitOK || !strings.HasPrefix(r.out, `{"id":"1","vector":[`) {
		t.Errorf("exit %d: %q %s", r.code, r.out, r.err)
	}
}

// --quiet --json prints the JSON summary and nothing else, whether the run
// succeeded or some records failed.
func TestQuietJSONPrintsOnlyTheJSON(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dead := ollamatest.New(ollamatest.Config{})
	deadURL := dead.URL()
	dead.Close()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		code          int
	}{
		{"ok", `{"id":1,"text":"one"}` + "\n", ExitOK},
		{"partial", `{"id":1,"text":"one"}` + "\n" + `{"id":2,"text":""}` + "\n" + "{broken\n", ExitPartial},
	} {
		in := writeFile(t, dir, tc.name+".jsonl", tc.content)
		r := run(t, "", "embed", in, "--host", deadURL+","+s.URL(), "--db", filepath.Join(dir, "m.db"), "--quiet", "--json")
		if r.code != tc.code || r.err != "" {
			t.Errorf("%s: exit %d, want %d; stderr should be empty:\n%s", tc.name, r.code, tc.code, r.err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.out), &m); err != nil || strings.Count(r.out, "\n") != 1 {
			t.Errorf("%s: stdout should be one JSON line: %q (%v)", tc.name, r.out, err)
		}
	}
}

// Progress lines count requests in flight in words that agree.
func TestProgressLinePlurals(t *testing.T) {
	var c engine.Counters
	c.Total.Store(10)
	c.Embedded.Store(4)
	for n, want := range map[int64]string{0: "0 requests in flight", 1: "1 request in flight", 2: "2 requests in flight"} {
		c.InFlight.Store(n)
		var b bytes.Buffer
		printLine(&b, &c, 2*time.Second)
		if !strings.Contains(b.String(), want) {
			t.Errorf("in flight %d: %q lacks %q", n, b.String(), want)
		}
	}
	c.Retries.Store(1)
	var b bytes.Buffer
	printLine(&b, &c, 2*time.Second)
	if !strings.Contains(b.String(), "1 retry,") {
		t.Errorf("%q lacks %q", b.String(), "1 retry,")
	}
}

// salvo bench makes the same checks as salvo embed before measuring, and
// measures with the texts it reads.
func TestBenchChecksItsInput(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	movies := repoFile(t, "examples/movies.jsonl")
	r := run(t, "", "bench", movies, "--host", s.URL(), "--text", "{{.titel}}: {{.summary}}", "--quick", "--limit", "8")
	if r.code != ExitFatal || !strings.Contains(r.err, "did you mean `title`?") || len(s.Stats().ByPath) != 0 {
		t.Errorf("a template typo: exit %d, requests %v:\n%s", r.code, s.Stats().ByPath, r.err)
	}
	r = run(t, "", "bench", movies, "--host", s.URL(), "--text", "{{.title}}: {{.summary}}", "--quick", "--limit", "8", "--json")
	if r.code != ExitOK || !strings.Contains(r.out, `"recommendation"`) {
		t.Fatalf("exit %d: %s\n%s", r.code, r.out, r.err)
	}
	if st := s.Stats(); st.Inputs < 8 {
		t.Errorf("bench sent %d texts, want at least the 8 it read", st.Inputs)
	}
}
