package moviegen

import (
	"io"
	"strconv"
	"testing"
)

func BenchmarkNext(b *testing.B) {
	g := New(1)
	for b.Loop() {
		g.Next()
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var c lineCounter
			for b.Loop() {
				if err := Generate(1, n, &c); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(c.bytes) / int64(b.N))
		})
	}
}

var _ io.Writer = (*lineCounter)(nil)
