//go:build linux

package sqlite

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// TestReadOnlyFileSystem: a database on a file system mounted read-only
// (a volume of a container that only serves searches) opens for reading,
// is searched by meaning and by words, and says why its words index cannot
// be brought up to date; one whose write-ahead log holds commits the file
// does not is refused, naming the log. The test mounts a read-only tmpfs in
// a mount namespace of its own (unshare), and skips where it cannot.
func TestReadOnlyFileSystem(t *testing.T) {
	if dir := os.Getenv("SALVO_TEST_ROFS"); dir != "" {
		checkReadOnlyFS(t, dir)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare is not installed: cannot mount a read-only file system")
	}
	if out, err := exec.Command(unshare, "-m", "--propagation", "private", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot make a mount namespace (%v: %s): needs root", err, out)
	}
	ctx := context.Background()
	src := t.TempDir()

	// A database at rest: closed, its log folded into the file. "a" is
	// in the words index, "b" is due.
	s, err := Open(filepath.Join(src, "rest.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	putTexts(t, s, []string{"a"}, []string{"a red fox"})
	if _, err := s.IndexWords(ctx); err != nil {
		t.Fatal(err)
	}
	putTexts(t, s, []string{"b"}, []string{"a lazy dog"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A database copied while open: its log holds the commits.
	p, err := Open(filepath.Join(src, "open.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	putTexts(t, p, []string{"a"}, []string{"a red fox"})
	for _, f := range []string{"open.db", "open.db-wal"} {
		copyFile(t, filepath.Join(src, f), filepath.Join(src, "pending", strings.Replace(f, "open", "pending", 1)))
	}

	mnt := t.TempDir()
	script := `set -e; mount -t tmpfs salvo-test "$1"; cp -R "$2"/rest.db "$2"/pending/. "$1"/; mount -o remount,ro "$1"; exec "$3" -test.run '^TestReadOnlyFileSystem$' -test.v`
	cmd := exec.Command(unshare, "-m", "--propagation", "private", "sh", "-c", script, "sh", mnt, src, os.Args[0])
	cmd.Env = append(os.Environ(), "SALVO_TEST_ROFS="+mnt)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestReadOnlyFileSystem") {
		t.Fatalf("on a read-only file system: %v\n%s", err, out)
	}
}

// checkReadOnlyFS is the test's half that runs where dir is mounted
// read-only.
func checkReadOnlyFS(t *testing.T, dir string) {
	ctx := context.Background()
	if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		f.Close()
		t.Fatalf("%s is writable: the test did not mount it read-only", dir)
	}
	s, err := OpenReadOnly(filepath.Join(dir, "rest.db"))
	if err != nil {
		t.Fatalf("OpenReadOnly on a read-only file system: %v", err)
	}
	defer s.Close()
	ids, _, dims, err := s.Vectors(ctx, "c")
	if err != nil || len(ids) != 2 || dims != 2 {
		t.Errorf("Vectors = %v, dims %d, %v; want a and b of 2 dimensions", ids, dims, err)
	}
	docs, err := s.Docs(ctx, "c", []string{"b"})
	if err != nil || len(docs) != 1 || docs[0].Text != "a lazy dog" {
		t.Errorf("Docs(b) = %+v, %v", docs, err)
	}
	if n, err := s.WordsDue(ctx); err != nil || n != 1 {
		t.Errorf("WordsDue = %d, %v; want 1 (b)", n, err)
	}
	var nw *NotWritableError
	if _, err := s.IndexWords(ctx); !errors.As(err, &nw) || !errors.Is(err, ErrReadOnlyFS) {
		t.Errorf("IndexWords = %v; want a *NotWritableError for a read-only file system", err)
	}
	hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"fox", "dog"}}, 10)
	if err != nil || len(hits) != 1 || hits[0].ID != "a" {
		t.Errorf("TextSearch = %+v, %v; want a (the index as it stands)", hits, err)
	}

	_, err = OpenReadOnly(filepath.Join(dir, "pending.db"))
	var pe *PendingLogError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "pending.db-wal") {
		t.Errorf("OpenReadOnly of a database whose log holds commits = %v; want a *PendingLogError naming the log", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
