package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// failureLine is one line of the failures file.
type failureLine struct {
	ID, Where, Stage, Error string
}

func readFailures(t *testing.T, path string) []failureLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []failureLine
	for l := range strings.Lines(string(b)) {
		var f failureLine
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("failures file line %q: %v", l, err)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b failureLine) int { return strings.Compare(a.Where, b.Where) })
	return out
}

// The bad input corpus (testdata/bad): each file is stored or reported
// with file:line, the run goes on, and the exit code is 2 exactly when
// something failed.
func TestBadInputCorpus(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 2, ContextTokens: 512, Dims: 64})
	type want struct {
		stored   int
		failures []string // "LINE: substring of the error", sorted by line
	}
	tests := []struct {
		file string
		args []string
		want want
	}{
		{"unterminated.jsonl", nil, want{2, []string{"2: the line ends inside a value"}}},
		{"unterminated.json", nil, want{2, []string{"4: invalid JSON"}}},
		{"invalid-utf8.jsonl", nil, want{3, nil}},
		{"bom-crlf.jsonl", nil, want{3, nil}},
		{"bom-crlf.csv", nil, want{2, nil}},
		{"empty-text.jsonl", nil, want{1, []string{"1: empty text", "2: empty text", "4: record has no \"text\" field"}}},
		{"big-text.jsonl.gz", nil, want{2, nil}},
		{"missing-id.jsonl", nil, want{3, nil}},
		{"duplicate-ids.jsonl", nil, want{2, []string{"3: duplicate id, first seen at "}}},
		{"colliding-ids.jsonl", nil, want{1, []string{"2: duplicate id, first seen at "}}},
		{"nested.jsonl", []string{"--text", "{{.movie.title}} ({{.movie.meta.year}}): {{join .movie.meta.genres \", \"}}"}, want{2, nil}},
		{"quoted-newlines.csv", nil, want{2, nil}},
		{"ragged.csv", nil, want{2, []string{"3: row has 4 fields, the header has 2", "4: row has 1 field, the header has 2"}}},
		{"not-top-array.json", []string{"--records", "data.movies"}, want{2, nil}},
		{"empty.jsonl", nil, want{0, nil}},
		{"truncated.jsonl.gz", nil, want{-1, []string{"the gzip data ends early: the file is truncated"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file+strings.Join(tt.args, ""), func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "bad.db")
			in := repoFile(t, "testdata/bad/"+tt.file)
			r := run(t, "", append([]string{"embed", in, "--host", s.URL(), "--db", db, "--collection", "bad", "--json"}, tt.args...)...)
			m := r.summary(t)
			fails := readFailures(t, filepath.Join(dir, "bad.failures.jsonl"))
			var got []string
			for _, f := range fails {
				line, ok := strings.CutPrefix(f.Where, in+":")
				if !ok {
					t.Errorf("failure %+v does not name %s:LINE", f, tt.file)
				}
				got = append(got, line+": "+f.Error)
			}
			stored := num(m, "embedded") + num(m, "cached")
			wantCode := ExitOK
			if len(tt.want.failures) > 0 {
				wantCode = ExitPartial
			}
			if r.code != wantCode {
				t.Errorf("exit %d, want %d\n%s", r.code, wantCode, r.err)
			}
			if tt.want.stored >= 0 && stored != tt.want.stored || tt.want.stored < 0 && stored < 100 {
				t.Errorf("%d stored, want %d (%v)", stored, tt.want.stored, m)
			}
			ok := len(got) == len(tt.want.failures)
			for i := 0; ok && i < len(got); i++ {
				w := tt.want.failures[i]
				if line, msg, _ := strings.Cut(w, ": "); strings.Contains(line, " ") {
					ok = strings.Contains(got[i], w) // no line given: any line
				} else {
					ok = strings.HasPrefix(got[i], line+": ") && strings.Contains(got[i], msg)
				}
			}
			if !ok {
				t.Errorf("failures:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want.failures, "\n\t"))
			}
			if c := num(m, "failed"); c != len(fails) {
				t.Errorf("%d failed in the summary, %d lines in the failures file", c, len(fails))
			}
		})
	}

	// A mistake about a whole file, not one of its records: nothing of it
	// is stored, and the message names the file and what to do.
	for _, tt := range []struct{ file, says string }{
		{"not-top-array.json", "name the array with --records data.movies"},
		{"empty.json", "the file is empty"},
	} {
		dir := t.TempDir()
		in := repoFile(t, "testdata/bad/"+tt.file)
		r := run(t, "", "embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "bad.db"), "--collection", "bad")
		fails, _ := os.ReadFile(filepath.Join(dir, "bad.failures.jsonl"))
		said := r.err + string(fails)
		if r.code == ExitOK || !strings.Contains(said, in) || !strings.Contains(said, tt.says) {
			t.Errorf("%s: exit %d, want an error naming the file and saying %q:\n%s", tt.file, r.code, tt.says, said)
		}
	}

	// All at once: one bad file does not stop the others.
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"unterminated.jsonl", "unterminated.json", "invalid-utf8.jsonl", "bom-crlf.jsonl", "bom-crlf.csv",
		"empty-text.jsonl", "big-text.jsonl.gz", "missing-id.jsonl", "duplicate-ids.jsonl", "colliding-ids.jsonl",
		"quoted-newlines.csv", "ragged.csv", "empty.jsonl", "truncated.jsonl.gz"} {
		files = append(files, repoFile(t, "testdata/bad/"+name))
	}
	r := run(t, "", append(append([]string{"embed"}, files...), "--host", s.URL(), "--db", filepath.Join(dir, "all.db"), "--collection", "all", "--json")...)
	m := r.summary(t)
	if r.code != ExitPartial || num(m, "embedded")+num(m, "cached") < 20+100 {
		t.Errorf("all files at once: exit %d, %v\n%s", r.code, m, r.err)
	}
}
