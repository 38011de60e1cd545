package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// A run that ends with a fatal error prunes nothing, even within
// --prune-max: its input was not all stored.
func TestEmbedPruneNotAfterFatalError(t *testing.T) {
	s, in, db := pruneSetup(t, 10)
	// r0..r5 as they are, r10 new; r6..r9 gone. The request for r10 fails
	// with an error that stops the run.
	writeFile(t, filepath.Dir(in), "movies.jsonl", catalog(0, 1, 2, 3, 4, 5, 10))
	s.FailNext(1000, 404, `{"error":"model \"nomic-embed-text\" not found, try pulling it first"}`)
	r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db, "--prune", "--prune-max", "100%", "--retries", "0")
	if r.code != ExitFatal {
		t.Errorf("exit %d, want %d: %s", r.code, ExitFatal, r.err)
	}
	if strings.Contains(r.err, "deleted") && !strings.Contains(r.err, "0 deleted") {
		t.Errorf("report after a fatal error: %s", r.err)
	}
	if got := exported(t, db, "m"); len(got) != 10 {
		t.Errorf("%d records left after a fatal error, want all 10: %s", len(got), r.err)
	}
}
