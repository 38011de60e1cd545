package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/salvoembed/salvo/ollamatest"
)

// Records piped in without a FILE, and without --format, are read from
// standard input: the format comes from the content (JSONL, JSON, CSV,
// TSV, also gzip-compressed).
func TestEmbedStdinWithoutFileOrFormat(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("{\"id\":1,\"t\":\"one\"}\n{\"id\":2,\"t\":\"two\"}\n"))
	w.Close()
	for _, tc := range []struct{ name, input string }{
		{"jsonl", "{\"id\":1,\"t\":\"one\"}\n{\"id\":2,\"t\":\"two\"}\n"},
		{"json", "[\n {\"id\":1,\"t\":\"one\"},\n {\"id\":2,\"t\":\"two\"}\n]\n"},
		{"csv", "id,t\n1,one\n2,two\n"},
		{"tsv", "id\tt\n1\tone\n2\ttwo\n"},
		{"gzip jsonl", gz.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "m.db")
			r := run(t, tc.input, "embed", "--collection", "m", "--text", "{{.t}}", "--host", s.URL(), "--db", db, "--json")
			if m := r.summary(t); r.code != ExitOK || num(m, "read") != 2 || num(m, "failed") != 0 {
				t.Fatalf("exit %d, summary %v\n%s", r.code, m, r.err)
			}
			if !strings.Contains(r.err, "salvo: no FILE given: reading records from standard input\n") {
				t.Errorf("stderr does not say that standard input is read:\n%s", r.err)
			}
		})
	}
}

// With no FILE and nothing piped in, salvo says what to give.
func TestEmbedNoFileEmptyStdin(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	r := run(t, "", "embed", "--collection", "m", "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "m.db"))
	const want = "salvo: no input files, and standard input is empty: give one or more FILEs, or pipe records in (cat movies.jsonl | salvo embed --collection movies)\nRun 'salvo embed --help' for the flags.\n"
	if r.code != ExitFatal || !strings.HasSuffix(r.err, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to end with:\n%s", r.code, r.err, want)
	}
	if st := s.Stats(); st.Requests != 0 {
		t.Errorf("%d requests sent, want none", st.Requests)
	}
}

// A pipe without an extension (what <(zcat movies.jsonl.gz) gives: a name
// like /dev/fd/63) is read by its content; --format still wins.
func TestEmbedPipeWithoutExtension(t *testing.T) {
	dir := t.TempDir()
	fifo := vegaFIFO(t, filepath.Join(dir, "63"))
	s := server(t, ollamatest.Config{Slots: 4, Dims: 64})
	db := filepath.Join(dir, "vega.db")
	r := run(t, "", "embed", fifo, "--host", s.URL(), "--db", db, "--collection", "vega", "--text", vegaTemplate, "--batch-size", "128", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "read") != 3201 || num(m, "failed") != 0 {
		t.Fatalf("exit %d, summary %v\n%s", r.code, m, r.err)
	}
	// --format wins: this JSONL read as CSV has a header with a stray
	// quote.
	in := writeFile(t, dir, "noext", "{\"id\":1,\"t\":\"x\"}\n")
	r = run(t, "", "embed", in, "--format", "csv", "--text", "{{.t}}", "--host", s.URL(), "--db", db, "--collection", "other")
	if want := in + ":1: reading the header row: bad CSV quoting"; r.code != ExitFatal || !strings.Contains(r.err, want) {
		t.Errorf("--format csv on JSONL: exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}
}
