package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// An unknown ID points to `salvo export --format ids`, which lists the IDs
// one per line and no vector (the message used to point to an export of
// every vector).
func TestUnknownIDPointsToExportIDs(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":"b","text":"two"}`+"\n"+`{"id":"a","text":"one"}`+"\n"+`{"id":"c d","text":"three"}`+"\n")
	db := filepath.Join(dir, "m.db")
	for _, coll := range []string{"movies", "my movies"} {
		if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db, "--collection", coll); r.code != ExitOK {
			t.Fatalf("embed exit %d: %s", r.code, r.err)
		}
	}
	r := run(t, "", "similar", "--db", db, "--collection", "movies", "zz")
	const want = `salvo: no such ID "zz" in collection "movies": salvo export --collection movies --format ids lists its IDs` + "\n"
	if r.code != ExitFatal || r.err != want {
		t.Errorf("similar of an unknown ID: exit %d, stderr\n%q\nwant\n%q", r.code, r.err, want)
	}
	r = run(t, "", "similar", "--db", db, "--collection", "my movies", "zz")
	if want := `salvo export --collection 'my movies' --format ids lists its IDs`; !strings.Contains(r.err, want) {
		t.Errorf("a collection name with a space: %q, want it quoted: %q", r.err, want)
	}

	// The command the message gives, as it gives it.
	r = run(t, "", "export", "--db", db, "--collection", "movies", "--format", "ids")
	if r.code != ExitOK || r.out != "a\nb\nc d\n" {
		t.Errorf("export --format ids: exit %d, stdout %q, want the IDs one per line in order (%s)", r.code, r.out, r.err)
	}
	out := filepath.Join(dir, "ids.txt")
	if r := run(t, "", "export", "--db", db, "--collection", "my movies", "--format", "ids", "--out", out); r.code != ExitOK || fileText(t, out) != "a\nb\nc d\n" {
		t.Errorf("export --format ids --out: exit %d (%s), file %q", r.code, r.err, fileText(t, out))
	}
}

func fileText(t *testing.T, path string) string {
	t.Helper()
	return string(fileBytes(t, path))
}
