package vecindex

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/viterin/vek/vek32"
)

// quantized is an int8 copy of the vectors: row i is scale[i] × data[i],
// each row padded with zeros to stride, a multiple of 32 bytes, so that the
// SIMD kernel needs no tail loop. data is outside the Go heap (see int8s)
// and lives as long as the quantized that holds it.
type quantized struct {
	stride int
	data   []int8
	scale  []float32
}

// Oversample and MinCandidates set how many candidates the quantised scan
// keeps for the exact re-ranking: max(k × Oversample, MinCandidates). With
// 8 × 10 = 80 candidates for a top 10, the benchmark measures a recall@10
// of 1.0 on clustered 768-dimensional data (see docs/BENCHMARKS.md).
const (
	Oversample    = 8
	MinCandidates = 64
)

// Quantize builds the int8 copy that [Index.SearchQuantized] scans: a
// quarter of the memory of the vectors, and a quarter of the bytes to read
// per search. Each vector gets its own scale, so the largest of its values
// maps to ±127. The rows are quantised in parallel. It may run while other
// goroutines search (a server quantises in the background and answers with
// the float32 scan meanwhile: [Index.Quantized]).
func (x *Index) Quantize() {
	if x.q8.Load() != nil {
		return
	}
	x.qmu.Lock()
	defer x.qmu.Unlock()
	if x.q8.Load() != nil {
		return
	}
	n := len(x.ids)
	stride := (x.dims + 31) &^ 31
	q := &quantized{stride: stride, scale: make([]float32, n)}
	q.data = int8s(n*stride, q)
	workers := 1
	if n*x.dims >= minParallel {
		workers = min(runtime.GOMAXPROCS(0), n/1024)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := n * w / workers; i < n*(w+1)/workers; i++ {
				q.scale[i] = quantizeInto(q.data[i*stride:(i+1)*stride], x.Vector(i))
			}
		})
	}
	wg.Wait()
	x.q8.Store(q)
}

// Quantized reports whether the int8 copy is built.
func (x *Index) Quantized() bool { return x.q8.Load() != nil }

// quantizeInto writes v as int8 into dst and returns the scale.
func quantizeInto(dst []int8, v []float32) float32 {
	var m float32
	for _, f := range v {
		m = max(m, float32(math.Abs(float64(f))))
	}
	if m == 0 {
		return 0
	}
	inv := 127 / m
	for j, f := range v {
		dst[j] = int8(math.Round(float64(f * inv)))
	}
	return m / 127
}

// block is how many rows the quantised scan scores per kernel call.
const block = 256

// SearchQuantized returns the k rows most similar to q, best first, like
// [Index.Search], from a scan of the int8 copy (built by [Index.Quantize]
// when missing) that keeps the best max(k × Oversample, MinCandidates)
// rows, re-ranked by their exact float32 scores.
func (x *Index) SearchQuantized(q []float32, k int, skip func(row int) bool) []Match {
	if len(q) != x.dims {
		panic(fmt.Sprintf("vecindex: query of %d dimensions against vectors of %d", len(q), x.dims))
	}
	if skip == nil {
		skip = NoSkip
	}
	// Clamped first, so that k × Oversample cannot overflow.
	k = min(k, len(x.ids))
	if k <= 0 {
		return nil
	}
	x.Quantize()
	z := x.q8.Load()
	q8 := make([]int8, z.stride)
	quantizeInto(q8, q)
	qq := widen(q8)
	cands := x.scan(max(k*Oversample, MinCandidates), func(lo, hi int, h *heap) {
		var dots [block]int32
		for b := lo; b < hi; b += block {
			m := min(block, hi-b)
			dotsInt8(qq, z.data[b*z.stride:(b+m)*z.stride], z.stride, dots[:m])
			for j, d := range dots[:m] {
				i := b + j
				s := float32(d) * z.scale[i]
				if h.accepts(s, i) && !skip(i) {
					h.push(s, i)
				}
			}
		}
	})
	h := newHeap(k)
	for _, c := range cands {
		s := vek32.Dot(q, x.Vector(c.Row))
		if h.accepts(s, c.Row) {
			h.push(s, c.Row)
		}
	}
	runtime.KeepAlive(z) // z.data lives as long as z
	return h.sorted()
}

// widen returns q as int16s: the kernel multiplies int16 pairs, and a
// query widened once is not widened again for every row.
func widen(q []int8) []int16 {
	w := make([]int16, len(q))
	for i, x := range q {
		w[i] = int16(x)
	}
	return w
}

// dotsGo is the portable kernel: out[i] = q · rows[i×stride:].
func dotsGo(q []int16, rows []int8, stride int, out []int32) {
	for i := range out {
		r := rows[i*stride : (i+1)*stride]
		var s0, s1, s2, s3 int32
		for j := 0; j+3 < len(q); j += 4 {
			s0 += int32(q[j]) * int32(r[j])
			s1 += int32(q[j+1]) * int32(r[j+1])
			s2 += int32(q[j+2]) * int32(r[j+2])
			s3 += int32(q[j+3]) * int32(r[j+3])
		}
		out[i] = s0 + s1 + s2 + s3
	}
}
