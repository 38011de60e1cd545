package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// The input readers state the facts; salvo embed names the flag that
// changes them (--format, --records), in the words it always had: on the
// error line for a whole file, in the report's reasons and the failures
// file for a line.
func TestSourceAdviceOnTheCommandLine(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	yts := repoFile(t, "examples/yts-list_movies.json")
	binary := writeFile(t, dir, "movies.db", "SQLite format 3\x00rest")
	array := writeFile(t, dir, "array.json", `[{"id":1,"text":"one"}]`)
	for _, tc := range []struct {
		name string
		args []string
		want string // all of stderr
	}{
		{"not text", []string{binary},
			"salvo: " + binary + ": cannot tell the format: line 1 holds the byte 0x00, which text does not; salvo reads JSONL, JSON, CSV and TSV (also gzip or zstd compressed): " +
				"if it is one of them, say which with --format jsonl, json, csv or tsv\n"},
		{"JSON object without --records", []string{yts, "--fields", "title"},
			"salvo: " + yts + ": the file holds a JSON object, not an array of records: name the array with --records data.movies (arrays in the file: data.movies)\n"},
		{"--records on an array", []string{array, "--records", "data"},
			"salvo: " + array + `: the file is an array, so it has no records path "data": drop --records` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"embed", "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "m.db")}, tc.args...)...)
			if r.code != ExitFatal || r.err != tc.want {
				t.Errorf("exit %d, stderr:\n%q\nwant exit %d and\n%q", r.code, r.err, ExitFatal, tc.want)
			}
		})
	}

	// Lines of a JSONL file that belong to a JSON document.
	in := writeFile(t, dir, "m.jsonl", `{"id":"1","text":"one"}`+"\n"+`[{"id":"2","text":"two"}]`+"\n"+"{\"id\":\"3\",\n")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"))
	fails := readFailures(t, filepath.Join(dir, "m.failures.jsonl"))
	array1 := "expected a JSON object, got an array (a file holding one JSON array is read with --format json)"
	cut := "invalid JSON: the line ends inside a value (JSONL needs each object on one line; a pretty-printed file is read with --format json)"
	if r.code != ExitPartial {
		t.Errorf("exit %d, want %d:\n%s", r.code, ExitPartial, r.err)
	}
	for _, want := range []string{array1, cut} {
		if !strings.Contains(r.err, "× "+want+"\n") {
			t.Errorf("the report lacks the reason %q:\n%s", want, r.err)
		}
	}
	var got []string
	for _, f := range fails {
		got = append(got, f.Error)
	}
	want := []string{in + ":2: " + array1, in + ":3: " + cut}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures file:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
