package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flags that mean nothing for documents are refused before anything is
// read or sent, and so are a missing pattern, standard input and a root
// folder that does not exist.
func TestEmbedFilesRefusals(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("notes", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("notes", "a.md"), []byte("# A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--files", "--id", "x", "notes/*.md"}, "--files with --id"},
		{[]string{"--files", "--format", "jsonl", "notes/*.md"}, "--files with --format"},
		{[]string{"--files", "--distributed", "notes/*.md"}, "--files with --distributed is not supported"},
		{[]string{"--files"}, "--files needs one or more patterns"},
		{[]string{"--files", "-"}, "--files reads files, not standard input"},
		{[]string{"--files", "nowhere/**/*.md"}, "nowhere/**/*.md: the folder nowhere does not exist"},
		{[]string{"--files", "notes/*.md", "--text", "{{.titel}}"}, "did you mean `title`"},
	} {
		r := run(t, "", append([]string{"embed", "--host", "127.0.0.1:1"}, c.args...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, c.msg) {
			t.Errorf("salvo embed %s: exit %d, want %d and %q\n%s", strings.Join(c.args, " "), r.code, ExitFatal, c.msg, r.err)
		}
		if _, err := os.Stat("salvo.db"); err == nil {
			t.Fatalf("salvo embed %s created salvo.db", strings.Join(c.args, " "))
		}
	}
}
