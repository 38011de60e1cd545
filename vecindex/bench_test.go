package vecindex

import (
	"fmt"
	"testing"
)

// The sizes of docs/BENCHMARKS.md; 1,000,000 × 768 float32s take 3 GB, so
// that size runs only with -bench=.../1000000.
var benchSizes = []int{1_000, 10_000, 100_000, 1_000_000}

const benchDims = 768

// benchIndex builds an index of n clustered vectors, once per size.
var benchIndexes = map[int]*Index{}

func benchIndex(b *testing.B, n int) *Index {
	if x, ok := benchIndexes[n]; ok {
		return x
	}
	x, err := New(benchDims, ids(n), clustered(n, benchDims, 42))
	if err != nil {
		b.Fatal(err)
	}
	x.Quantize()
	benchIndexes[n] = x
	return x
}

// BenchmarkSearch times a top-10 over n × 768 vectors, float32 and int8,
// and reports the int8 scan's recall@10 against the exact top 10 over 100
// queries.
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		for _, kind := range []string{"float32", "int8"} {
			b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
				x := benchIndex(b, n)
				search := x.Search
				if kind == "int8" {
					search = x.SearchQuantized
				}
				queries := make([][]float32, 16)
				for i := range queries {
					queries[i] = query(x, uint64(i))
				}
				b.SetBytes(int64(n * benchDims * 4))
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					search(queries[i%len(queries)], 10, nil)
				}
				if kind == "int8" {
					b.ReportMetric(recall(x, 100), "recall@10")
				}
			})
		}
	}
}

// recall is the mean share of the exact top 10 that the int8 scan finds.
func recall(x *Index, queries int) float64 {
	found := 0
	for i := range queries {
		q := query(x, uint64(1000+i))
		exact := map[int]bool{}
		for _, m := range x.Search(q, 10, nil) {
			exact[m.Row] = true
		}
		for _, m := range x.SearchQuantized(q, 10, nil) {
			if exact[m.Row] {
				found++
			}
		}
	}
	return float64(found) / float64(10*queries)
}
