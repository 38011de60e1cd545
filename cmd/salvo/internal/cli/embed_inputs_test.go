package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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
	fifo := vegaFIFO(t, filepath.Join(dir, "vega.jsonl"))
	s := server(t, ollamatest.Config{Slots: 4, Dims: 64})
	db := filepath.Join(dir, "vega.db")
	// A regular file first: the pipe is not the first input, which a
	// reader must not open twice either.
	first := writeFile(t, dir, "first.jsonl", `{"Title":"One"}`+"\n"+`{"Title":"Two"}`+"\n")
	r := run(t, "", "embed", first, fifo, "--host", s.URL(), "--db", db, "--collection", "vega", "--text", vegaTemplate, "--batch-size", "128", "--json")
	m := r.summary(t)
	if r.code != ExitOK || num(m, "read") != 3203 || num(m, "failed") != 0 || num(m, "embedded")+num(m, "cached") != 3203 {
		t.Fatalf("exit %d, summary %v: want all 3201 records of the pipe stored, and the file's 2\n%s", r.code, m, r.err)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"count":3203`) {
		t.Errorf("status: %s", r.out)
	}
}

// A .jsonl.gz is read directly, and standard input compressed with gzip too.
func TestEmbedCompressed(t *testing.T) {
	all, err := os.ReadFile(repoFile(t, "testdata/catalogs/vega-movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000 // the first 1000 films are enough
	data := []byte(strings.Join(strings.SplitAfter(string(all), "\n")[:n], ""))
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data)
	w.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "vega.jsonl.gz", gz.String())
	s := server(t, ollamatest.Config{Slots: 4, Dims: 64})
	db := filepath.Join(dir, "vega.db")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--text", vegaTemplate, "--batch-size", "128", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "embedded")+num(m, "cached") != n {
		t.Fatalf("exit %d, summary %v\n%s", r.code, m, r.err)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"name":"vega"`) {
		t.Errorf("the collection is named after the file without .jsonl.gz: %s", r.out)
	}
	r = run(t, gz.String(), "embed", "-", "--format", "jsonl", "--host", s.URL(), "--db", db, "--collection", "vega", "--text", vegaTemplate, "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "cached") != n {
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

// The failures file lists exactly the records that failed and are not
// stored since: a run that stops early (--limit) or has no failure keeps
// the others; a record stored since is taken out.
func TestFailuresFileRemembers(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}
{"id":2,"text":"two"}
{"id":3,"text":"three"}
{"id":4,"text":"four"}
`)
	db := filepath.Join(dir, "m.db")
	failures := filepath.Join(dir, "m.failures.jsonl")
	ids := func() string {
		b, err := os.ReadFile(failures)
		if err != nil {
			return "none"
		}
		var out []string
		for l := range strings.Lines(string(b)) {
			var f struct{ ID string }
			json.Unmarshal([]byte(l), &f)
			out = append(out, f.ID)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	s.Poison("two")
	s.Poison("four")
	args := []string{"embed", in, "--host", s.URL(), "--db", db, "--batch-size", "1", "--json"}
	if r := run(t, "", args...); r.code != ExitPartial || ids() != "2,4" {
		t.Fatalf("first run: exit %d, failures %s\n%s", r.code, ids(), r.err)
	}
	// --limit 1 reads record 1 only (stored already): the failures stay.
	if r := run(t, "", append(args, "--limit", "1")...); r.code != ExitOK || ids() != "2,4" {
		t.Fatalf("--limit 1: exit %d, failures %s, want 2,4 kept\n%s", r.code, ids(), r.err)
	}
	// The server is fixed for "two": it is stored and leaves the file.
	s.ClearFaults()
	s.Poison("four")
	if r := run(t, "", args...); r.code != ExitPartial || ids() != "4" {
		t.Fatalf("third run: exit %d, failures %s, want 4\n%s", r.code, ids(), r.err)
	}
	s.ClearFaults()
	if r := run(t, "", args...); r.code != ExitOK || ids() != "none" {
		t.Fatalf("last run: exit %d, failures %s, want no file\n%s", r.code, ids(), r.err)
	}
}

// Two records with one ID in two files: the second fails as a duplicate
// naming where the first was, exit 2; --on-duplicate last stores the last.
func TestDuplicateIDsAcrossFiles(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dir := t.TempDir()
	a := writeFile(t, dir, "a.jsonl", `{"id":1,"text":"a one"}`+"\n"+`{"id":2,"text":"a two"}`+"\n")
	b := writeFile(t, dir, "b.jsonl", `{"id":"1","text":"b one"}`+"\n"+`{"id":2,"text":"b two"}`+"\n")
	db := filepath.Join(dir, "m.db")
	r := run(t, "", "embed", a, b, "--host", s.URL(), "--db", db, "--json")
	m := r.summary(t)
	if r.code != ExitPartial || num(m, "embedded") != 2 || num(m, "failed") != 2 {
		t.Fatalf("exit %d %v\n%s", r.code, m, r.err)
	}
	fails, _ := os.ReadFile(filepath.Join(dir, "m.failures.jsonl"))
	if !strings.Contains(string(fails), "duplicate id, first seen at "+a+":1") || !strings.Contains(string(fails), b+":2") {
		t.Errorf("failures file:\n%s", fails)
	}
	r = run(t, "", "embed", a, b, "--host", s.URL(), "--db", db, "--on-duplicate", "last", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "duplicates") != 2 {
		t.Fatalf("--on-duplicate last: exit %d %v\n%s", r.code, m, r.err)
	}
	if r := run(t, "", "status", "--db", db, "--json"); !strings.Contains(r.out, `"count":2`) {
		t.Errorf("status: %s", r.out)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.failures.jsonl")); !os.IsNotExist(err) {
		t.Errorf("the failures file outlived the fix: %v", err)
	}
}

// vegaFIFO makes a named pipe at path and writes the Vega catalog (JSONL)
// into it once a reader opens it.
func vegaFIFO(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	data, err := os.ReadFile(repoFile(t, "testdata/catalogs/vega-movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		w.Write(data)
	}()
	return path
}
