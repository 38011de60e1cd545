package f32le

import (
	"bytes"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := [][]float32{
		nil,
		{0},
		{float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.Float32frombits(0x007fffff)},
		{math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1))},
		{math.Float32frombits(0x7fc00001), math.Float32frombits(0xffbfffff)}, // NaN payloads
		{1, -2.5, 1.0 / 3},
	}
	for _, v := range tests {
		b := Bytes(v)
		if p := encodePortable(v); !bytes.Equal(b, p) {
			t.Errorf("Bytes(%v) = %x, portable encoding %x", v, b, p)
		}
		got := make([]float32, len(b)/4)
		Decode(got, b)
		if len(got) != len(v) {
			t.Fatalf("Decode(Bytes(%v)) = %v", v, got)
		}
		for i := range v {
			if math.Float32bits(got[i]) != math.Float32bits(v[i]) {
				t.Errorf("round trip of %v: element %d is %08x, want %08x", v, i, math.Float32bits(got[i]), math.Float32bits(v[i]))
			}
		}
	}
	if b := Bytes([]float32{1}); !bytes.Equal(b, []byte{0, 0, 0x80, 0x3f}) {
		t.Errorf("Bytes([1]) = %x, want little-endian 0000803f", b)
	}
	if b := Bytes(nil); b == nil || len(b) != 0 {
		t.Errorf("Bytes(nil) = %#v, want empty", b)
	}
}

// FuzzDecode: Decode agrees with the portable decoder, never aliases its
// input, and Bytes gives the input back.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0x80, 0x3f})
	f.Add([]byte{0, 0, 0, 0x80, 1, 0, 0, 0, 0xff, 0xff, 0x7f, 0x7f})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b)/4*4]
		v := make([]float32, len(b)/4)
		Decode(v, b)
		p := make([]float32, len(b)/4)
		decodePortable(p, b)
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(v[i]) {
				t.Fatalf("element %d: %08x, portable decoder %08x", i, math.Float32bits(v[i]), math.Float32bits(p[i]))
			}
		}
		if !bytes.Equal(Bytes(v), b) || !bytes.Equal(encodePortable(v), b) {
			t.Fatalf("encoding the decoded vector does not give %x back", b)
		}
		if len(b) > 0 {
			orig := b[0]
			b[0] ^= 0xff
			if enc := Bytes(v); enc[0] != orig {
				t.Fatal("decoded vector aliases the bytes")
			}
			b[0] = orig
		}
	})
}

func TestSameBits(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	for _, c := range []struct {
		a, b [][]float32
		want bool
	}{
		{nil, nil, true},
		{[][]float32{{1, nan}}, [][]float32{{1, nan}}, true},
		{[][]float32{{0}}, [][]float32{{negZero}}, false},
		{[][]float32{{1}}, [][]float32{{1, 2}}, false},
		{[][]float32{nil}, [][]float32{{}}, false},
		{nil, [][]float32{}, false},
		{[][]float32{{1}, {2}}, [][]float32{{1}, {3}}, false},
	} {
		if got := SameBits(c.a, c.b); got != c.want {
			t.Errorf("SameBits(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
