package sqlite

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// maxSpoolRecords bounds the vectors a spool takes, in memory or in its
// file: it keeps their IDs in memory (some 40 bytes each, sorted at
// Index). A run that stores more drops its spool, and Index reads the
// collection from the database. A variable so that tests can lower it.
var maxSpoolRecords = 1 << 20

// createTemp creates the spool's file; tests make it fail.
var createTemp = os.CreateTemp

// spoolFile holds a spool's vectors once they outgrow maxSpool: a
// temporary file beside the database, removed from the folder as soon as
// it is created where the system allows (it then disappears with the
// process however that ends; elsewhere it is named as a temporary file of
// the vector file, which a later write removes once stale).
type spoolFile struct {
	f    *os.File
	name string // to remove when closed, if it could not be removed at once
	w    *bufio.Writer
	dims int
	n    int // vectors written
	buf  []byte
	err  error // the first write error: the spool is then dropped
}

// newSpoolFile creates the spool file of the vector file at path, for
// vectors of dims floats.
func newSpoolFile(path string, dims int) (*spoolFile, error) {
	dir, base := filepath.Split(path)
	f, err := createTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	sf := &spoolFile{f: f, dims: dims, w: bufio.NewWriterSize(f, 1<<18), buf: make([]byte, 4*dims)}
	if os.Remove(f.Name()) != nil {
		sf.name = f.Name()
	}
	return sf, nil
}

// add appends a vector of dims floats.
func (sf *spoolFile) add(v []float32) {
	if sf.err == nil {
		_, sf.err = sf.w.Write(f32le.Bytes(v))
		sf.n++
	}
}

// flush writes out what add buffered, before the vectors are read.
func (sf *spoolFile) flush() error {
	if sf.err == nil {
		sf.err = sf.w.Flush()
	}
	return sf.err
}

// vector returns the i-th vector, little-endian, good until the next call.
func (sf *spoolFile) vector(i int) ([]byte, error) {
	if i < 0 || i >= sf.n {
		return nil, fmt.Errorf("spool file: vector %d of %d", i, sf.n)
	}
	_, err := sf.f.ReadAt(sf.buf, int64(i)*int64(len(sf.buf)))
	return sf.buf, err
}

// close closes and removes the file.
func (sf *spoolFile) close() {
	sf.f.Close()
	if sf.name != "" {
		os.Remove(sf.name)
	}
}

// spill moves the spool's vectors from memory to a spool file for the
// vector file at path, and frees their memory.
func (sp *vecSpool) spill(path string) error {
	sf, err := newSpoolFile(path, sp.dims)
	if err != nil {
		return err
	}
	for i := range sp.ids {
		sf.add(sp.vector(i))
	}
	if sf.err != nil {
		sf.close()
		return sf.err
	}
	ids := sp.ids
	sp.free()
	sp.ids, sp.file = ids, sf
	return nil
}

// vectorBytes returns the i-th vector of the spool, little-endian, good
// until the next call.
func (sp *vecSpool) vectorBytes(i int) ([]byte, error) {
	if sp.file != nil {
		return sp.file.vector(i)
	}
	return f32le.Bytes(sp.vector(i)), nil
}
