//go:build unix

package sqlite

import (
	"os"
	"syscall"
)

// mapFile maps the file f, of size bytes, read-only into memory. The
// mapping is never unmapped: the vectors returned from it may be kept for
// as long as the process runs (Store keeps one mapping per file it trusted).
func mapFile(f *os.File, size int) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED|mapPopulate)
}

// unmapFile releases a mapping that mapFile made and nothing uses.
func unmapFile(b []byte) {
	if b != nil {
		syscall.Munmap(b)
	}
}
