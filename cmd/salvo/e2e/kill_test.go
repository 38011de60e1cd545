package e2e

import (
	"bytes"
	"context"
	"fmt"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
)

// buildSalvo builds cmd/salvo once per test binary, into a folder removed
// when the tests end (see TestMain).
func buildSalvo(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "salvo-e2e-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "salvo")
		if runtime.GOOS == "windows" {
			bin += ".exe"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/salvo")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/salvo: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	if b := os.Getenv("SALVO_E2E_BIN"); b != "" {
		return b // a salvo built elsewhere, e.g. an older one to check that a test fails on it
	}
	return built.bin
}

var built struct {
	once     sync.Once
	bin, dir string
	err      error
}

func TestMain(m *testing.M) {
	code := pgtest.Run(m) // stops the PostgreSQL servers the tests started
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// A salvo process killed with SIGKILL in the middle of a run loses nothing
// it committed: the next run sends only the rest, and every record is stored
// exactly once.
func TestKilledRunResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it as a process")
	}
	bin, srv, in, db, args := slowRun(t)
	ids := movieIDs(t, in)

	cmd, exited, _ := startUntilCommitted(t, bin, args, db)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	exited <- err // for the cleanup
	if cmd.ProcessState == nil || cmd.ProcessState.Success() {
		t.Fatalf("salvo was not killed: %v", err)
	}
	committed := status(t, db).Count
	if committed == 0 || committed >= len(ids) {
		t.Fatalf("%d of %d records committed at the kill: want some but not all", committed, len(ids))
	}

	srv.Reset()
	s, _ := embedOK(t, args[1:]...)
	if s.Read != len(ids) || s.Failed != 0 || s.Embedded+s.Cached != len(ids) {
		t.Errorf("second run: summary %+v, want all %d records stored", s, len(ids))
	}
	if s.Cached < committed {
		t.Errorf("second run: %d cached, want at least the %d committed before the kill", s.Cached, committed)
	}
	if sent := srv.Stats().Inputs; sent > len(ids)-committed {
		t.Errorf("second run sent %d texts, want at most the %d not committed", sent, len(ids)-committed)
	}
	if c := status(t, db); c.Count != len(ids) {
		t.Errorf("%d records stored, want %d", c.Count, len(ids))
	}
	vecs := exported(t, db) // fails on an ID exported twice
	for _, id := range ids {
		if len(vecs[id]) == 0 {
			t.Errorf("record %s is missing from the export", id)
		}
	}
	t.Logf("killed with %d of %d committed; the second run embedded %d and found %d cached", committed, len(ids), s.Embedded, s.Cached)
}

// slowRun builds salvo and prepares a run of the sample movies against a
// slow server: one slot and 10 ms per text, so the 300 movies take about 3
// seconds, long enough to stop the run after its first commits.
func slowRun(t *testing.T) (bin string, srv *ollamatest.Server, in, db string, args []string) {
	t.Helper()
	bin = buildSalvo(t)
	srv = ollamatest.New(ollamatest.Config{Slots: 1, CostPerInput: 10 * time.Millisecond})
	t.Cleanup(srv.Close)
	in = moviesFile(t)
	db = filepath.Join(t.TempDir(), "movies.db")
	args = []string{"embed", in, "--host", srv.URL(), "--db", db, "--text", moviesTemplate, "--batch-size", "8", "--json"}
	return bin, srv, in, db, args
}

// process is a salvo process a test started. exited yields Wait's result
// once it ended; a receiver puts it back for the next one.
type process struct {
	cmd    *exec.Cmd
	exited chan error
	stderr *lockedBuffer
}

// start starts cmd, collecting its stderr, and kills it when the test ends.
func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, exited: make(chan error, 1), stderr: new(lockedBuffer)}
	cmd.Stderr = p.stderr
	if cmd.Stdout == nil {
		cmd.Stdout = new(bytes.Buffer)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		err := <-p.exited
		p.exited <- err
	})
	return p
}

// startUntilCommitted starts salvo with args and returns once the database
// holds some records, with the process still running.
func startUntilCommitted(t *testing.T, bin string, args []string, db string) (*exec.Cmd, chan error, *lockedBuffer) {
	t.Helper()
	p := start(t, exec.Command(bin, args...))
	waitFor(t, "the first records to be committed", time.Minute, func() (bool, error) {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("salvo exited (%v) before it could be stopped\n%s", err, p.stderr.String())
		default:
		}
		c, err := statusOf(db)
		return c.Count > 0, err
	})
	return p.cmd, p.exited, p.stderr
}

// Ctrl-C (SIGINT) mid-run: salvo commits the writes in flight, says how to
// continue, and exits 130; what it reported as embedded is stored.
func TestInterruptedRunExits130(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it as a process")
	}
	bin, _, in, db, args := slowRun(t)
	// An earlier run's failure for a record this run does not store: an
	// interrupted run keeps it listed.
	failures := strings.TrimSuffix(db, ".db") + ".failures.jsonl"
	earlier := `{"id":"still-failing","where":"other.jsonl:7","stage":"embed","error":"500 from the server","collection":"movies"}` + "\n"
	if err := os.WriteFile(failures, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, exited, stderr := startUntilCommitted(t, bin, args, db)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	exited <- err
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d after SIGINT, want 130 (%v)\n%s", code, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "run the same command again") {
		t.Errorf("stderr should say it was interrupted and how to go on:\n%s", stderr.String())
	}
	stored := status(t, db).Count
	if stored == 0 || stored >= len(movieIDs(t, in)) {
		t.Errorf("%d records stored after the interruption: want some but not all", stored)
	}
	// Every count printed is true of the store.
	r := result{out: cmd.Stdout.(*bytes.Buffer).String(), err: stderr.String()}
	s := r.summary(t)
	if s.Embedded+s.Cached != stored {
		t.Errorf("the report says %d embedded + %d cached; status says %d stored\n%s", s.Embedded, s.Cached, stored, stderr.String())
	}
	if want := fmt.Sprintf("%d embedded, %d cached", s.Embedded, s.Cached); !strings.Contains(stderr.String(), want) {
		t.Errorf("the terminal report lacks %q:\n%s", want, stderr.String())
	}
	if b, err := os.ReadFile(failures); err != nil || string(b) != earlier {
		t.Errorf("failures file after the interruption: %q, %v; want the earlier failure kept", b, err)
	}
}
