package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// embedded makes a database from a JSONL input and returns its path.
func embedded(t *testing.T, dir, input string) string {
	t.Helper()
	s := server(t, ollamatest.Config{Dims: 4})
	in := writeFile(t, dir, "m.jsonl", input)
	db := filepath.Join(dir, "w.db")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--keep", "title"); r.code != ExitOK {
		t.Fatalf("embed exit %d: %s", r.code, r.err)
	}
	return db
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// `salvo export --db w.db --format jsonl --out w.db` used to empty the
// database before failing. It is refused, and the database is untouched;
// so are the npy side files and the journal files, and a path that reaches
// the database through a symbolic link.
func TestExportRefusesTheDatabase(t *testing.T) {
	dir := t.TempDir()
	db := embedded(t, dir, `{"id":"1","text":"one","title":"One"}`+"\n"+`{"id":"2","text":"two","title":"Two"}`+"\n")
	before := fileBytes(t, db)
	t.Chdir(dir)
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	// The npy side files next to a matrix whose name makes them the db.
	npyDB := filepath.Join(dir, "x.ids.txt")
	if err := os.Link(db, npyDB); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--format", "jsonl", "--out", db},
		{"--format", "csv", "--out", link},
		{"--format", "parquet", "--out", "./" + filepath.Base(db)},
		{"--format", "npy", "--out", db},
		{"--format", "npy", "--out", filepath.Join(dir, "x.npy")},
	} {
		r := run(t, "", append([]string{"export", "--db", db}, args...)...)
		if r.code != ExitFatal {
			t.Errorf("%v: exit %d, want 1 (%s)", args, r.code, r.err)
		}
		if !strings.Contains(r.err, "would overwrite the database") || !strings.Contains(r.err, "write the export to another file") {
			t.Errorf("%v: message %q", args, r.err)
		}
		if got := fileBytes(t, db); !bytes.Equal(got, before) {
			t.Fatalf("%v: the database changed (%d bytes, was %d)", args, len(got), len(before))
		}
	}
}

// A failed npy export used to leave an earlier export's good files at 0
// bytes. Now it leaves them byte for byte, and no temporary file behind.
func TestFailedNPYExportKeepsEarlierFiles(t *testing.T) {
	dir := t.TempDir()
	db := embedded(t, dir, `{"id":"1","text":"one","title":"One"}`+"\n"+`{"id":"2","text":"two","title":"Two"}`+"\n")
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o755)
	out := filepath.Join(outDir, "m.npy")
	if r := run(t, "", "export", "--db", db, "--format", "npy", "--out", out); r.code != ExitOK {
		t.Fatalf("export exit %d: %s", r.code, r.err)
	}
	files := []string{out, filepath.Join(outDir, "m.ids.txt"), filepath.Join(outDir, "m.fields.jsonl")}
	good := map[string][]byte{}
	for _, f := range files {
		good[f] = fileBytes(t, f)
		if len(good[f]) == 0 {
			t.Fatalf("%s is empty after a good export", f)
		}
	}
	// An ID with a line break cannot go into .ids.txt: the export fails.
	s := server(t, ollamatest.Config{Dims: 4})
	in := writeFile(t, dir, "bad.jsonl", `{"id":"3\n4","text":"three","title":"Three"}`+"\n")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--keep", "title", "--collection", "m"); r.code != ExitOK {
		t.Fatalf("embed exit %d: %s", r.code, r.err)
	}
	r := run(t, "", "export", "--db", db, "--format", "npy", "--out", out)
	if r.code != ExitFatal || !strings.Contains(r.err, "line break") {
		t.Fatalf("export of a line-break ID: exit %d, %s", r.code, r.err)
	}
	for _, f := range files {
		if got := fileBytes(t, f); !bytes.Equal(got, good[f]) {
			t.Errorf("%s: %d bytes after the failed export, want the earlier %d", f, len(got), len(good[f]))
		}
	}
	if es, _ := os.ReadDir(outDir); len(es) != len(files) {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("the folder holds %v, want only the three earlier files", names)
	}
}

// An export over an earlier one keeps that file's mode.
func TestExportKeepsMode(t *testing.T) {
	dir := t.TempDir()
	db := embedded(t, dir, `{"id":"1","text":"one","title":"One"}`+"\n")
	out := filepath.Join(dir, "v.jsonl")
	if err := os.WriteFile(out, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "export", "--db", db, "--out", out); r.code != ExitOK {
		t.Fatalf("export exit %d: %s", r.code, r.err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the earlier file's 0600", fi.Mode().Perm())
	}
	if b := fileBytes(t, out); !bytes.HasPrefix(b, []byte(`{"id":"1"`)) {
		t.Errorf("export wrote %q", b)
	}
}
