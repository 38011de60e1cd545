// Package atomicfile writes output files so that a reader, or a failed run,
// never sees half of one: the bytes go to a temporary file in the same
// folder, which Commit renames over the path. Until then the file at the
// path, if any, is untouched; Cleanup removes the temporary file of a
// write that did not finish.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an output being written to a temporary file next to Path.
type File struct {
	f      *os.File
	path   string // the file replaced: Path with symbolic links followed
	tmp    string // "" when writing straight to path (not a regular file)
	mode   fs.FileMode
	keep   bool // the mode of an existing file is applied at Commit
	closed bool
}

// Create starts writing the file at path. An existing regular file keeps
// its content until Commit and its permission bits after; a new file gets
// 0666 less the umask, as os.Create gives. A symbolic link is followed:
// its target is replaced, not the link. A path that exists and is not a
// regular file (a device such as /dev/stdout, a named pipe) is written in
// place, since it cannot be replaced.
func Create(path string) (*File, error) {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return nil, err
		}
	}
	a := &File{path: target, mode: 0o666}
	fi, err := os.Stat(target)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		if fi.IsDir() {
			return nil, &fs.PathError{Op: "create", Path: path, Err: errors.New("is a directory")}
		}
		if a.f, err = os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0); err != nil {
			return nil, err
		}
		return a, nil
	case err == nil:
		a.mode, a.keep = fi.Mode().Perm(), true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	dir, base := filepath.Split(target)
	for range 100 {
		var r [6]byte
		rand.Read(r[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, a.mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "create", Path: path, Err: errors.Unwrap(err)}
		}
		a.f, a.tmp = f, name
		return a, nil
	}
	return nil, fmt.Errorf("atomicfile: no free temporary name next to %s", path)
}

// Name is the path the file will have once committed.
func (a *File) Name() string { return a.path }

func (a *File) Write(p []byte) (int, error) { return a.f.Write(p) }

// WriteAt writes at an offset of the new file, as os.File.WriteAt.
func (a *File) WriteAt(p []byte, off int64) (int, error) { return a.f.WriteAt(p, off) }

// Commit syncs and closes the new file and renames it over the path.
func (a *File) Commit() error {
	if a.closed {
		return fmt.Errorf("atomicfile: %s: already closed", a.path)
	}
	a.closed = true
	if a.tmp == "" {
		return a.f.Close()
	}
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && a.keep {
		// The umask may have taken bits off the existing file's mode.
		err = os.Chmod(a.tmp, a.mode)
	}
	if err == nil {
		err = os.Rename(a.tmp, a.path)
	}
	if err != nil {
		os.Remove(a.tmp)
		return err
	}
	a.tmp = ""
	// Best effort: make the rename itself durable.
	if d, err := os.Open(filepath.Dir(a.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Cleanup closes and removes the temporary file unless Commit renamed it:
// the file at the path stays as it was. It is safe to defer and to call
// after Commit.
func (a *File) Cleanup() {
	if !a.closed {
		a.closed = true
		a.f.Close()
	}
	if a.tmp != "" {
		os.Remove(a.tmp)
		a.tmp = ""
	}
}

// WriteFile writes data to path atomically, as os.WriteFile would write
// it in place.
func WriteFile(path string, data []byte) error {
	a, err := Create(path)
	if err != nil {
		return err
	}
	defer a.Cleanup()
	if _, err := a.Write(data); err != nil {
		return err
	}
	return a.Commit()
}
