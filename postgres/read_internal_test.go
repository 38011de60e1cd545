package postgres

import (
	"math"
	"testing"

	"github.com/pgvector/pgvector-go"
)

// decodePgvector reads what pgvector-go writes, and refuses what does not
// fit the collection's dimensions.
func FuzzDecodePgvector(f *testing.F) {
	for _, v := range [][]float32{{}, {1}, {0.5, -2, float32(math.Inf(1))}} {
		b, _ := pgvector.NewVector(v).EncodeBinary(nil)
		f.Add(b, len(v))
	}
	f.Add([]byte{0, 2, 0, 0, 1, 2, 3}, 2)
	f.Fuzz(func(t *testing.T, b []byte, dims int) {
		if dims < 0 || dims > 1<<16 {
			return
		}
		dst := make([]float32, dims)
		ok := decodePgvector(dst, b)
		if len(b) != 4+4*dims || int(b[0])<<8|int(b[1]) != dims {
			if ok {
				t.Fatalf("decodePgvector(%x) took %d bytes for %d dims", b, len(b), dims)
			}
			return // pgvector-go reads past the end of buffers shorter than their header says
		}
		var want pgvector.Vector
		err := want.DecodeBinary(b)
		if ok != (err == nil && len(want.Slice()) == dims) {
			t.Fatalf("decodePgvector(%x, %d dims) = %v; pgvector-go: %v, %d dims", b, dims, ok, err, len(want.Slice()))
		}
		if !ok {
			return
		}
		for i, x := range want.Slice() {
			if math.Float32bits(dst[i]) != math.Float32bits(x) {
				t.Fatalf("dimension %d: %v, pgvector-go reads %v", i, dst[i], x)
			}
		}
	})
}
