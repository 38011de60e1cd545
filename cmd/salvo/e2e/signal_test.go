package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
	_ "modernc.org/sqlite"
)

// lockedBuffer is a bytes.Buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// streaming starts salvo reading JSONL from a pipe the test holds open,
// against a fresh ollamatest server, into db.
func streaming(t *testing.T) (db string, cmd *exec.Cmd, stdin io.WriteCloser, exited chan error, stderr *lockedBuffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds salvo and runs it as a process")
	}
	srv := ollamatest.New(ollamatest.Config{})
	t.Cleanup(srv.Close)
	db = filepath.Join(t.TempDir(), "stream.db")
	cmd = exec.Command(buildSalvo(t), "embed", "-", "--format", "jsonl", "--collection", "stream", "--host", srv.URL(), "--db", db, "--batch-size", "4")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	p := start(t, cmd)
	return db, cmd, stdin, p.exited, p.stderr
}

func record(i int) string {
	return fmt.Sprintf(`{"id":%d,"text":"streamed record number %d"}`+"\n", i, i)
}

// waitExit waits for the process to end, at most d.
func waitExit(t *testing.T, cmd *exec.Cmd, exited chan error, d time.Duration, stderr *lockedBuffer) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case err := <-exited:
		exited <- err
		return time.Since(start)
	case <-time.After(d):
		t.Fatalf("salvo still runs %v after the signal\n%s", d, stderr.String())
	}
	return 0
}

// A slow stream (a record now and then on an open standard input) is
// embedded as it comes, and SIGTERM while standard input is idle stops the
// run within a second: exit 130, what was stored kept.
func TestSlowStdinAndSignalWhileIdle(t *testing.T) {
	db, cmd, stdin, exited, stderr := streaming(t)
	for i := 1; i <= 3; i++ {
		if _, err := io.WriteString(stdin, record(i)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, fmt.Sprintf("record %d stored while standard input stays open", i), 30*time.Second, func() (bool, error) {
			c, err := statusOf(db)
			return c.Count == i, err
		})
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	took := waitExit(t, cmd, exited, 10*time.Second, stderr)
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d after SIGTERM, want 130\n%s", code, stderr.String())
	}
	if took > 2*time.Second { // ~0.1 s here; the margin is for a loaded CI machine
		t.Errorf("SIGTERM took %v to stop an idle run, want about a second at most", took)
	}
	t.Logf("stopped %v after SIGTERM with standard input idle", took.Round(time.Millisecond))
	if c := status(t, db); c.Count != 3 {
		t.Errorf("%d records stored, want 3", c.Count)
	}
}

// A second signal quits at once, even while the first waits for the
// database: here another connection holds SQLite's write lock, so salvo,
// done with its checks of the server, waits in opening the database (up to
// SQLite's busy timeout, 10 s, and then fails). The wait starts right after
// the last check (/api/show), which the test watches for.
func TestSecondSignalQuitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it as a process")
	}
	srv := ollamatest.New(ollamatest.Config{})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	in := movies(t, 20)
	args := []string{"embed", in, "--host", srv.URL(), "--db", db, "--text", moviesTemplate}
	embedOK(t, append(args[1:], "--limit", "1")...) // the database exists, in WAL mode

	lock, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	ctx := context.Background()
	conn, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")

	srv.Reset()
	p := start(t, exec.Command(buildSalvo(t), args...))
	cmd, exited, stderr := p.cmd, p.exited, p.stderr
	if err := srv.Await(ctx, func(st ollamatest.Stats) bool { return st.ByPath["/api/show"] > 0 }); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "salvo to say it is stopping", 10*time.Second, func() (bool, error) {
		return strings.Contains(stderr.String(), "stopping"), nil
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("salvo exited after the first signal, before the database it waits for:\n%s", stderr.String())
	}
	waitExit(t, cmd, exited, 5*time.Second, stderr)
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "quitting now") {
		t.Errorf("exit %d after a second SIGINT, want 130 at once\n%s", code, stderr.String())
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d embedding requests from a run stopped before it opened its database", n)
	}
	conn.ExecContext(ctx, "ROLLBACK")
	var ok string
	if err := conn.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check: %q %v", ok, err)
	}
}
