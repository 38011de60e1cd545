package openai

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// checkBase64 decodes src with decodeBase64Into and with enc itself, into
// buffers of DecodedLen, and fails unless bytes, count and error agree.
func checkBase64(t *testing.T, enc *base64.Encoding, src []byte) {
	t.Helper()
	got := make([]byte, enc.DecodedLen(len(src)))
	want := make([]byte, len(got))
	n, err := decodeBase64Into(enc, got, src)
	m, wantErr := enc.Decode(want, src)
	if n != m || !bytes.Equal(got[:n], want[:m]) || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("decoding %q: %d bytes %x, %v; encoding/base64: %d bytes %x, %v", src, n, got[:n], err, m, want[:m], wantErr)
	}
}

func TestDecodeBase64Into(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for size := range 80 {
		raw := make([]byte, size)
		for i := range raw {
			raw[i] = byte(r.Uint32())
		}
		std := []byte(base64.StdEncoding.EncodeToString(raw))
		checkBase64(t, base64.StdEncoding, std)
		checkBase64(t, base64.RawStdEncoding, []byte(base64.RawStdEncoding.EncodeToString(raw)))
		for i := range std {
			// A bad byte, a line break or padding at each place.
			for _, c := range []byte{'!', '\n', '\r', '=', '-', '_', 0x80} {
				bad := bytes.Clone(std)
				bad[i] = c
				checkBase64(t, base64.StdEncoding, bad)
				checkBase64(t, base64.RawStdEncoding, bad)
			}
		}
	}
}

func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte(b64(1, 2, 3, 4)))
	f.Add([]byte("AAAAAAAAAAAA\nAAAAAAAA"))
	f.Add([]byte("AAAAAAAAAAAAAAA="))
	f.Add([]byte("AAAAAAAAAAAAAA=="))
	f.Add([]byte("AAAAAAAA=AAAAAAAAAA"))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkBase64(t, base64.StdEncoding, src)
		checkBase64(t, base64.RawStdEncoding, src)
	})
}

// BenchmarkDecodeBase64 decodes one 768-dimension vector as a server sends
// it.
func BenchmarkDecodeBase64(b *testing.B) {
	v := make([]float32, 768)
	for i := range v {
		v[i] = float32(i) / 1000
	}
	src := []byte(b64(v...))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeBase64(make([]float32, base64Floats(src)), src); err != nil {
			b.Fatal(err)
		}
	}
}
