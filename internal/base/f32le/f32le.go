// Package f32le converts vectors to and from little-endian IEEE 754 float32
// bytes, the layout salvo stores (package sqlite) and servers send as base64
// (package openai). On little-endian machines that is the layout in memory,
// so a conversion is a view or a single copy; this package holds the one
// check of the machine's byte order.
package f32le

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// Native is true when the machine stores a float32 as these bytes do.
var Native = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Bytes returns the little-endian bytes of v. Where Native, they alias v:
// writing to them changes v, and v must not change while they are in use.
// Elsewhere they are a copy. Bytes of an empty v is empty, not nil.
func Bytes(v []float32) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	if Native {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4)
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

// Decode fills dst with the float32s of the little-endian bytes b, which
// must hold 4 × len(dst) bytes. dst never aliases b.
func Decode(dst []float32, b []byte) {
	b = b[:len(dst)*4]
	if Native {
		copy(Bytes(dst), b)
		return
	}
	decodePortable(dst, b)
}

func decodePortable(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
	}
}

// SameBits reports whether a and b hold the same vectors, float for float
// bit for bit (so a NaN equals the same NaN and 0 differs from -0), with
// the same nil vectors: what a decoder's two paths must agree on.
func SameBits(a, b [][]float32) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) || (a[i] == nil) != (b[i] == nil) {
			return false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}
