package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/salvoembed/salvo/ollamatest"
)

const vegaTemplate = `{{.Title}} ({{index . "Release Date"}}): {{index . "Major Genre"}}, directed by {{.Director}}, rated {{index . "IMDB Rating"}}`

// A named pipe (what `salvo embed <(zcat movies.jsonl.gz)` reads) is read
// once: every record is stored. The progress count used to open it a
// second time and take records from the reader.
func TestEmbedFromFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "vega.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	data, err := os.ReadFile(repoFile(t, "testdata/catalogs/vega-movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		w.Write(data)
	}()
	s := server(t, ollamatest.Config{Slots: 4})
	db := filepath.Join(dir, "vega.db")
	r := run(t, "", "embed", fifo, "--host", s.URL(), "--db", db, "--text", vegaTemplate, "--batch-size", "128", "--json")
	m := r.summary(t)
	if r.code != ExitOK || num(m, "read") != 3201 || num(m, "failed") != 0 || num(m, "embedded")+num(m, "cached") != 3201 {
		t.Fatalf("exit %d, summary %v: want all 3201 records of the pipe stored\n%s", r.code, m, r.err)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"count":3201`) {
		t.Errorf("status: %s", r.out)
	}
}

// A .jsonl.gz is read directly, and standard input compressed with gzip too.
func TestEmbedCompressed(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, "testdata/catalogs/vega-movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data)
	w.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "vega.jsonl.gz", gz.String())
	s := server(t, ollamatest.Config{Slots: 4})
	db := filepath.Join(dir, "vega.db")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--text", vegaTemplate, "--batch-size", "128", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded")+num(m, "cached") != 3201 {
		t.Fatalf("exit %d, summary %v\n%s", r.code, m, r.err)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"name":"vega"`) {
		t.Errorf("the collection is named after the file without .jsonl.gz: %s", r.out)
	}
	r = run(t, gz.String(), "embed", "-", "--format", "jsonl", "--host", s.URL(), "--db", db, "--collection", "vega", "--text", vegaTemplate, "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "cached") != 3201 {
		t.Fatalf("gzip on standard input: exit %d, summary %v\n%s", r.code, m, r.err)
	}
	// A truncated file: the records before the cut are stored, the cut is
	// reported with file:line, exit 2.
	cut := writeFile(t, dir, "cut.jsonl.gz", gz.String()[:gz.Len()/2])
	r = run(t, "", "embed", cut, "--host", s.URL(), "--db", filepath.Join(dir, "cut.db"), "--text", vegaTemplate, "--json")
	m := r.summary(t)
	if r.code != ExitPartial || num(m, "failed") != 1 || num(m, "embedded")+num(m, "cached") < 100 {
		t.Fatalf("truncated .gz: exit %d, summary %v\n%s", r.code, m, r.err)
	}
	fails, _ := os.ReadFile(filepath.Join(dir, "cut.failures.jsonl"))
	if !strings.Contains(string(fails), "cut.jsonl.gz:") || !strings.Contains(string(fails), "truncated") {
		t.Errorf("failures file: %s", fails)
	}
}
