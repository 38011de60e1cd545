package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The README leads somewhere: scripts/readme-walk.sh runs every command of
// its tour, in order, in a fresh copy of the repository, against a real
// Ollama with the fixture model. It needs the Ollama build that the
// real-server tests use; without it the test skips, except in CI (CI=true),
// where a README that is not walked is a failure unless
// SALVO_SKIP_REAL_OLLAMA says to skip the real-server tests.
func TestREADMEWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the README against a real Ollama (about a minute)")
	}
	if os.Getenv("OLLAMA_HOST") == "" || os.Getenv("SALVO_TEST_MODEL") == "" {
		msg := `set OLLAMA_HOST and SALVO_TEST_MODEL to walk the README against a real Ollama: ` +
			`set -a; eval "$(scripts/real-ollama.sh up)"; set +a (or run scripts/test.sh, or scripts/readme-walk.sh alone)`
		if os.Getenv("CI") == "true" && os.Getenv("SALVO_SKIP_REAL_OLLAMA") == "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot(t), "scripts", "readme-walk.sh"))
	cmd.Dir = repoRoot(t)
	// A private server: the shared one the other tests use stays up.
	cmd.Env = append(os.Environ(), "SALVO_OLLAMA_INSTANCE=readme-walk")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/readme-walk.sh: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
