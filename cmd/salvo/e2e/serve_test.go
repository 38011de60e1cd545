package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
)

// Ctrl-C (SIGINT) stops salvo serve with a message about the server, which
// writes nothing (not "the writes in flight"), and exit code 0.
func TestServeStopsOnInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it as a process")
	}
	srv := ollamatest.New(ollamatest.Config{Models: []string{"all-minilm"}})
	t.Cleanup(srv.Close)
	db := filepath.Join(t.TempDir(), "movies.db")
	embedOK(t, moviesFile(t), "--host", srv.URL(), "--model", "all-minilm", "--db", db, "--text", "{{.title}}")
	p := start(t, exec.Command(buildSalvo(t), "serve", "--db", db, "--host", srv.URL(), "--addr", "127.0.0.1:0"))
	waitFor(t, "salvo serve to listen", time.Minute, func() (bool, error) {
		return strings.Contains(p.stderr.String(), "serving"), nil
	})
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := <-p.exited
	p.exited <- err
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGINT, want 0 (%v)\n%s", code, err, p.stderr.String())
	}
	lines := strings.Split(p.stderr.String(), "\n")
	if want := "salvo: interrupt: stopping the server; requests being answered get 5s to finish; again to quit at once"; len(lines) < 2 || lines[1] != want {
		t.Errorf("stderr after SIGINT:\n%s\nwant its second line %q", p.stderr.String(), want)
	}
}
