package e2e

import (
	"bytes"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
)

// Store faults: each gives a clear error, leaves no corruption, and the
// next run recovers. (A file that is not a salvo database is tested in
// cmd/salvo/internal/cli: TestForeignDatabaseIsNeverModified.)

// tmpfs mounts a tmpfs of size bytes (e.g. "600k") on a new folder and
// returns it, or "" when the test cannot mount (not root, no permission).
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return ""
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("cannot mount a tmpfs (%v: %s)", err, out)
		return ""
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -o remount,%s %s: %v: %s", opts, dir, err, out)
	}
}

// runSalvo runs the built salvo with args, optionally under a command
// prefix (prlimit), and returns its exit code and stderr.
func runSalvo(t *testing.T, prefix []string, args ...string) (int, string) {
	t.Helper()
	argv := append(append(prefix, buildSalvo(t)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

func integrityOK(t *testing.T, db string) {
	t.Helper()
	d, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var ok string
	if err := d.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("PRAGMA integrity_check of %s = %q, %v", db, ok, err)
	}
}

// A read-only database path (a read-only mount as root, else file and
// folder permissions): refused before any request, with what to do; the
// next run, once it is writable, stores the rest.
func TestStoreReadOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs salvo as a process")
	}
	srv := ollamatest.New(ollamatest.Config{Dims: 64})
	t.Cleanup(srv.Close)
	dir := tmpfs(t, "16m")
	readOnly, writable := func() { remount(t, dir, "ro") }, func() { remount(t, dir, "rw") }
	if dir == "" {
		if os.Geteuid() == 0 {
			t.Skip("root ignores permissions and cannot mount here")
		}
		dir = t.TempDir()
		readOnly = func() { os.Chmod(filepath.Join(dir, "m.db"), 0o444); os.Chmod(dir, 0o555) }
		writable = func() { os.Chmod(dir, 0o755); os.Chmod(filepath.Join(dir, "m.db"), 0o644) }
	}
	db := filepath.Join(dir, "m.db")
	args := []string{"embed", "--host", srv.URL(), "--db", db, "--collection", "movies", "--text", moviesTemplate, "--quiet"}
	if code, stderr := runSalvo(t, nil, append(args, movies(t, 100))...); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	before, _ := os.ReadFile(db)
	readOnly()
	srv.Reset()
	code, stderr := runSalvo(t, nil, append(args, moviesFile(t))...)
	if code != 1 || !strings.Contains(stderr, "cannot be written") || !strings.Contains(stderr, "choose another --db") {
		t.Errorf("read-only database: exit %d, stderr %q; want 1 and what to do", code, stderr)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d embedding requests for a database that cannot be written", n)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("the read-only database changed")
	}
	writable()
	srv.Reset()
	if code, stderr := runSalvo(t, nil, append(args, moviesFile(t))...); code != 0 {
		t.Fatalf("once writable: exit %d\n%s", code, stderr)
	}
	if c := status(t, db).Count; c != 300 {
		t.Errorf("%d records after the recovery, want 300", c)
	}
	if n := srv.Stats().Inputs; n > 200 {
		t.Errorf("the recovery sent %d texts; 100 were stored already", n)
	}
	integrityOK(t, db)
}

// Two salvo processes on one SQLite file at once, with overlapping
// catalogs: both finish, every record is stored once, the file is sound.
func TestStoreTwoRunsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs salvo as a process")
	}
	srv := ollamatest.New(ollamatest.Config{Slots: 2, Dims: 64})
	t.Cleanup(srv.Close)
	db := filepath.Join(t.TempDir(), "shared.db")
	all := moviesFile(t)
	first := movies(t, 200)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	errs := make([]string, 2)
	for i, in := range []string{first, all} {
		wg.Go(func() {
			codes[i], errs[i] = runSalvo(t, nil, "embed", in, "--host", srv.URL(), "--db", db, "--collection", "movies", "--text", moviesTemplate, "--batch-size", "8", "--quiet")
		})
	}
	wg.Wait()
	for i := range codes {
		if codes[i] != 0 {
			t.Errorf("run %d: exit %d\n%s", i+1, codes[i], errs[i])
		}
	}
	if c := status(t, db).Count; c != 300 {
		t.Errorf("%d records stored by the two runs, want 300", c)
	}
	if n := len(exported(t, db)); n != 300 {
		t.Errorf("%d records exported, want 300", n)
	}
	integrityOK(t, db)
}

// A full disk: a 600 KB tmpfs as root, else a file size limit (prlimit
// --fsize) that makes SQLite's writes fail. The run stops with a clear
// error and exit 1, the file passes the integrity check, and the next run
// with room stores the rest without sending what was committed.
func TestStoreDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("runs salvo as a process")
	}
	// Answers come 15 ms apart, as from a real server, not at once: each
	// batch is then a commit of its own (the writer waits 10 ms after an
	// answer for more), and the disk fills after some commits.
	srv := ollamatest.New(ollamatest.Config{Slots: 1, CostPerRequest: 15 * time.Millisecond})
	t.Cleanup(srv.Close)
	var prefix []string
	dir := tmpfs(t, "600k")
	if dir == "" {
		p, err := exec.LookPath("prlimit")
		if err != nil {
			t.Skip("neither a tmpfs nor prlimit to fill the disk with")
		}
		dir = t.TempDir()
		prefix = []string{p, "--fsize=600000"}
	}
	db := filepath.Join(dir, "m.db")
	args := []string{"embed", moviesFile(t), "--host", srv.URL(), "--db", db, "--text", moviesTemplate, "--batch-size", "8", "--quiet"}
	code, stderr := runSalvo(t, prefix, args...)
	if code != 1 || !strings.Contains(stderr, "full") && !strings.Contains(stderr, "write") {
		t.Fatalf("full disk: exit %d, stderr %q; want 1 and a clear error", code, stderr)
	}
	t.Logf("full disk: %s", strings.TrimSpace(stderr))
	committed := status(t, db).Count
	if committed == 0 || committed >= 300 {
		t.Errorf("%d records committed before the disk filled: want some", committed)
	}
	integrityOK(t, db)

	if prefix == nil {
		remount(t, dir, "size=64m")
	}
	srv.Reset()
	if code, stderr := runSalvo(t, nil, args...); code != 0 {
		t.Fatalf("with room again: exit %d\n%s", code, stderr)
	}
	if c := status(t, db).Count; c != 300 {
		t.Errorf("%d records after the recovery, want 300", c)
	}
	if n := srv.Stats().Inputs; n > 300-committed {
		t.Errorf("the recovery sent %d texts for %d records not committed", n, 300-committed)
	}
	integrityOK(t, db)
}
