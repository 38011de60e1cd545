package sqlite

import (
	"fmt"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// Vectors are stored as little-endian IEEE 754 float32 blobs: 4 bytes per
// dimension, no header. The layout is what numpy's "<f4" and most vector
// tools read directly, and on little-endian machines it is the in-memory
// layout, so encoding and decoding are a single copy (package f32le).

// encodeVector returns the blob for v. On little-endian machines the result
// aliases v: the caller must not change v until the blob has been bound to a
// statement and the statement has run (the driver copies bound blobs).
func encodeVector(v []float32) []byte { return f32le.Bytes(v) }

// decodeVector returns a new vector holding the floats of blob b; it never
// aliases b, so b may be a buffer the driver reuses.
func decodeVector(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector blob of %d bytes is not a whole number of float32s: the database is damaged", len(b))
	}
	v := make([]float32, len(b)/4)
	f32le.Decode(v, b)
	return v, nil
}
