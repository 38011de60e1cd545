package sqlite

import (
	"bytes"
	"math"
	"testing"
)

// The conversion itself is package f32le's, tested there; here, the blob
// format and the damaged blobs the store must refuse.
func TestVectorBlob(t *testing.T) {
	v := []float32{1, -2.5, float32(math.Copysign(0, -1))}
	b := encodeVector(v)
	if !bytes.Equal(b[:4], []byte{0, 0, 0x80, 0x3f}) || len(b) != 12 {
		t.Errorf("encodeVector(%v) = %x, want little-endian float32s", v, b)
	}
	got, err := decodeVector(b)
	if err != nil || len(got) != 3 || math.Float32bits(got[2]) != math.Float32bits(v[2]) || got[1] != v[1] {
		t.Errorf("decodeVector(%x) = %v, %v; want %v", b, got, err, v)
	}
	if b := encodeVector(nil); b == nil || len(b) != 0 {
		t.Errorf("encodeVector(nil) = %#v, want an empty blob", b)
	}
}

// FuzzDecodeVector: a blob of a whole number of float32s decodes into a
// vector that does not alias it and encodes back to it; any other fails.
func FuzzDecodeVector(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0x80, 0x3f})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeVector(b)
		if (err == nil) != (len(b)%4 == 0) {
			t.Fatalf("decodeVector of %d bytes: %v", len(b), err)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(encodeVector(v), b) {
			t.Fatalf("encoding the decoded vector does not give %x back", b)
		}
		if len(b) > 0 {
			b[0] ^= 0xff
			if encodeVector(v)[0] == b[0] {
				t.Fatal("decoded vector aliases the blob")
			}
		}
	})
}
