package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/engine"
)

// Close rewrites the failures file through a temporary file and keeps the
// file's mode (it used to come out 0600 whatever it was), leaving no
// temporary file behind.
func TestFailureFileRewriteKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.jsonl")
	old := `{"id":"1","where":"a:1","stage":"embed","error":"x","collection":"c"}` + "\n" +
		`{"id":"2","where":"a:2","stage":"embed","error":"x","collection":"c"}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	ff := &engine.FailureFile{Path: path, Collection: "c"}
	ff.Stored("1", "a:1") // settles the first line: Close must rewrite
	if err := ff.Fail(engine.Failure{ID: "3", Where: "a:3", Stage: engine.StageEmbed, Error: "e"}); err != nil {
		t.Fatal(err)
	}
	if err := ff.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"id":"1"`) || !strings.Contains(string(b), `"id":"2"`) || !strings.Contains(string(b), `"id":"3"`) {
		t.Fatalf("the file holds\n%s\nwant the failures of 2 and 3", b)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v after the rewrite, want the file's 0644", fi.Mode().Perm())
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the folder holds %d entries, want only f.jsonl", len(es))
	}
}
