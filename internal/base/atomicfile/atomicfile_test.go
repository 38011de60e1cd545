package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists the folder, to see that no temporary file is left.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestOldContentUntilCommit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Cleanup()
	if _, err := a.Write([]byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "old\n" {
		t.Fatalf("before Commit the file holds %q, want the old content", got)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "new\n" {
		t.Fatalf("after Commit the file holds %q", got)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the existing file's 0600", fi.Mode().Perm())
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("folder holds %v, want only out.jsonl", n)
	}
}

func TestCleanupKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.npy")
	os.WriteFile(p, []byte("good"), 0o644)
	a, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("half"))
	a.Cleanup()
	a.Cleanup() // twice is fine
	if got := read(t, p); got != "good" {
		t.Fatalf("a write that failed left %q, want the earlier file", got)
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("folder holds %v after Cleanup, want only m.npy", n)
	}
	// Nothing at all when there was no file.
	a, err = Create(filepath.Join(dir, "new.csv"))
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("x"))
	a.Cleanup()
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("folder holds %v after Cleanup of a new file, want only m.npy", n)
	}
}

func TestNewFileMode(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "new")
	if err := WriteFile(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("a new file has mode %v, want 0666 less the umask 027: 0640", fi.Mode().Perm())
	}
	// An existing file keeps bits the umask would take off.
	os.Chmod(p, 0o666)
	if err := WriteFile(p, []byte("y")); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(p)
	if fi.Mode().Perm() != 0o666 {
		t.Errorf("mode %v after a rewrite, want the existing 0666", fi.Mode().Perm())
	}
}

func TestSymlinkTargetReplaced(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.jsonl")
	link := filepath.Join(dir, "link.jsonl")
	os.WriteFile(target, []byte("old"), 0o644)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link is no longer a link: %v %v", fi, err)
	}
	if got := read(t, target); got != "new" {
		t.Errorf("target holds %q", got)
	}
}

func TestNotRegularWrittenInPlace(t *testing.T) {
	a, err := Create(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, fi, err)
	}
	if _, err := Create(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v, want is a directory", err)
	}
}

func TestCreateInMissingFolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "out.jsonl")
	_, err := Create(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v, want one naming %s", err, p)
	}
}

func TestCommitTwice(t *testing.T) {
	a, err := Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
}
