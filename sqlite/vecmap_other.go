//go:build !unix

package sqlite

import (
	"io"
	"os"
)

// mapFile reads the file f, of size bytes, into memory: systems without
// mmap read the vector file in one go.
func mapFile(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	_, err := io.ReadFull(f, b)
	return b, err
}

// unmapFile: a file read into memory is left to the garbage collector.
func unmapFile([]byte) {}
