// Package f32le encodes vectors as little-endian IEEE 754 float32 blobs,
// the layout salvo's SQLite files, PostgreSQL bytea columns and SQLite
// write-back columns share.
package f32le

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Vectors are stored as little-endian IEEE 754 float32 blobs: 4 bytes per
// dimension, no header. The layout is what numpy's "<f4" and most vector
// tools read directly, and on little-endian machines it is the in-memory
// layout, so encoding and decoding are a single copy.

// littleEndian is true when the machine stores float32 the way the blobs do.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Encode returns the blob for v. On little-endian machines the result
// aliases v: the caller must not change v until the blob has been bound to a
// statement and the statement has run (the driver copies bound blobs).
func Encode(v []float32) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
	}
	return encodePortable(v)
}

func encodePortable(v []float32) []byte {
	b := make([]byte, len(v)*4)
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(f))
	}
	return b
}

// Decode returns a new vector holding the floats of blob b; it never
// aliases b, so b may be a buffer the driver reuses.
func Decode(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector blob of %d bytes is not a whole number of float32s: the database is damaged", len(b))
	}
	v := make([]float32, len(b)/4)
	if littleEndian {
		if len(v) > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(b)), b)
		}
		return v, nil
	}
	decodePortable(v, b)
	return v, nil
}

func decodePortable(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
	}
}
