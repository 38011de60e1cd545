package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// --chunk with --write-back is refused before anything is opened: the
// user's row holds one vector, not a record's pieces.
func TestChunkWriteBackRefused(t *testing.T) {
	dir := t.TempDir()
	r := run(t, "", "embed", "--source-db", filepath.Join(dir, "cat.db"), "--sql", "SELECT 1 AS id", "--write-back", "movies.vec",
		"--db", filepath.Join(dir, "s.db"), "--chunk", "auto")
	if r.code == ExitOK || !strings.Contains(r.err, "--write-back writes one vector into each row of movies.vec") || !strings.Contains(r.err, "--chunk off") {
		t.Fatalf("exit %d:\n%s", r.code, r.err)
	}
}

func TestChunkFlag(t *testing.T) {
	var c chunkFlag
	for in, want := range map[string]string{"auto": "auto", "OFF": "off", "256": "256"} {
		if err := c.Set(in); err != nil || c.String() != want {
			t.Errorf("--chunk %s: %v, %q", in, err, c.String())
		}
	}
	for _, bad := range []string{"0", "-3", "lots", ""} {
		if err := c.Set(bad); err == nil {
			t.Errorf("--chunk %q accepted", bad)
		}
	}
}
