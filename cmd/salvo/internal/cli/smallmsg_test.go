package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// A FILE that does not exist is named with what is missing, and a close
// name of the same folder, instead of Go's stat error.
func TestMissingInputFile(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	t.Chdir(repoFile(t, "."))
	db := filepath.Join(t.TempDir(), "m.db")
	for _, tc := range []struct{ file, want string }{
		{"examples/movie.jsonl", "salvo: examples/movie.jsonl: no such file; did you mean examples/movies.jsonl?\n"},
		{"examples/zzz.jsonl", "salvo: examples/zzz.jsonl: no such file in examples/\n"},
		{"exampels/movies.jsonl", "salvo: exampels/movies.jsonl: no such file: the folder exampels does not exist\n"},
		{"READMY.md", "salvo: READMY.md: no such file; did you mean README.md?\n"},
	} {
		r := run(t, "", "embed", tc.file, "--host", s.URL(), "--db", db, "--fields", "title")
		if r.code != ExitFatal || r.err != tc.want {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant:\n%s", tc.file, r.code, r.err, tc.want)
		}
	}
}

// A run that sends nothing reports no rate and no latency: neither
// happened. --json keeps its fields.
func TestReportLeavesOutWhatDidNotHappen(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n")
	db := filepath.Join(dir, "m.db")
	first := run(t, "", "embed", in, "--host", s.URL(), "--db", db)
	if first.code != ExitOK || !regexp.MustCompile(`(?m)^salvo: 2 read, 2 embedded, 0 cached, 0 failed in [0-9.]+s \([0-9.]+ emb/s\); 2 added, 0 updated, 0 unchanged, 0 deleted\n {7}1 request, 0 retries, 0 splits; latency p50 [0-9]+ms p95 [0-9]+ms`).MatchString(first.err) {
		t.Errorf("first run: exit %d, report:\n%s", first.code, first.err)
	}
	again := run(t, "", "embed", in, "--host", s.URL(), "--db", db)
	want := regexp.MustCompile(`^salvo: 2 read, 0 embedded, 2 cached, 0 failed in [0-9.]+s; 0 added, 0 updated, 2 unchanged, 0 deleted\n {7}collection "m" in ` + regexp.QuoteMeta(db) + ` \(model nomic-embed-text, [^)]+\)\n$`)
	if again.code != ExitOK || !want.MatchString(again.err) {
		t.Errorf("second run: exit %d, report:\n%s\nwant it to match %s", again.code, again.err, want)
	}
	for _, no := range []string{"emb/s", "latency", "requests"} {
		if strings.Contains(again.err, no) {
			t.Errorf("second run: report says %q:\n%s", no, again.err)
		}
	}
	j := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--json")
	if m := j.summary(t); num(m, "requests") != 0 || num(m, "cached") != 2 {
		t.Errorf("--json: %v", m)
	}
}
