// Package vecindex ranks a collection's vectors against a query: an exact,
// in-memory top-k scan. Vectors are unit length, so the cosine similarity
// is a dot product.
//
// The float32 scan ([Index.Search]) reads the vectors once with SIMD dot
// products (github.com/viterin/vek), in parallel chunks that each keep a
// bounded heap of their best k. The quantised scan ([Index.SearchQuantized])
// reads an int8 copy, a quarter of the bytes, keeps the best candidates and
// re-ranks them exactly in float32.
//
// Start with [New]:
//
//	ix, err := vecindex.New(768, ids, vectors) // vectors: len(ids)×768 float32s, row after row
//	hits := ix.Search(query, 10, vecindex.NoSkip)
package vecindex

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/viterin/vek/vek32"
)

// Index holds the vectors of one collection in one contiguous slice. It is
// safe for concurrent use once built, [Index.Quantize] included.
type Index struct {
	dims   int
	ids    []string
	vecs   []float32
	sorted bool           // ids ascending: Row is a binary search
	rows   map[string]int // otherwise, id → row
	q8     atomic.Pointer[quantized]
	qmu    sync.Mutex // one Quantize builds the copy
}

// Match is a row of the index and its score against the query.
type Match struct {
	Row   int
	Score float32
}

// NoSkip skips no row.
func NoSkip(int) bool { return false }

// New returns an index over vecs, which holds len(ids) vectors of dims
// float32s, row after row. The index keeps ids and vecs without copying.
func New(dims int, ids []string, vecs []float32) (*Index, error) {
	if dims <= 0 {
		return nil, fmt.Errorf("vecindex: %d dimensions", dims)
	}
	if len(vecs) != len(ids)*dims {
		return nil, fmt.Errorf("vecindex: %d floats for %d vectors of %d dimensions", len(vecs), len(ids), dims)
	}
	x := &Index{dims: dims, ids: ids, vecs: vecs, sorted: slices.IsSorted(ids)}
	if !x.sorted {
		x.rows = make(map[string]int, len(ids))
		for i, id := range ids {
			x.rows[id] = i
		}
	}
	return x, nil
}

// Len is the number of vectors.
func (x *Index) Len() int { return len(x.ids) }

// Dims is the length of each vector.
func (x *Index) Dims() int { return x.dims }

// ID returns the ID of row i.
func (x *Index) ID(i int) string { return x.ids[i] }

// Vector returns row i; the caller must not change it.
func (x *Index) Vector(i int) []float32 { return x.vecs[i*x.dims : (i+1)*x.dims : (i+1)*x.dims] }

// Row returns the row of id.
func (x *Index) Row(id string) (int, bool) {
	if !x.sorted {
		i, ok := x.rows[id]
		return i, ok
	}
	i := sort.SearchStrings(x.ids, id)
	return i, i < len(x.ids) && x.ids[i] == id
}

// minParallel is the number of floats below which a scan stays on one
// goroutine: starting goroutines costs more than scanning 1,000 vectors.
const minParallel = 1 << 20

// Search returns the k rows most similar to q, best first, leaving out the
// rows for which skip returns true. Ties go to the lower row. q must have
// Dims values. Any k is fine: memory goes with min(k, Len()).
func (x *Index) Search(q []float32, k int, skip func(row int) bool) []Match {
	if len(q) != x.dims {
		panic(fmt.Sprintf("vecindex: query of %d dimensions against vectors of %d", len(q), x.dims))
	}
	if skip == nil {
		skip = NoSkip
	}
	return x.scan(k, func(lo, hi int, h *heap) {
		d := x.dims
		for i := lo; i < hi; i++ {
			s := vek32.Dot(q, x.vecs[i*d:(i+1)*d])
			if h.accepts(s, i) && !skip(i) {
				h.push(s, i)
			}
		}
	})
}

// scan runs part over the rows in parallel chunks, each with a heap of k
// (at most the rows: a k of 1e11 allocates for the rows there are), and
// merges the heaps.
func (x *Index) scan(k int, part func(lo, hi int, h *heap)) []Match {
	n := len(x.ids)
	k = min(k, n)
	if k <= 0 {
		return nil
	}
	workers := 1
	if n*x.dims >= minParallel {
		workers = min(runtime.GOMAXPROCS(0), n/1024)
	}
	heaps := make([]heap, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		heaps[w] = newHeap(k)
		if w == workers-1 {
			part(lo, hi, &heaps[w])
			continue
		}
		wg.Go(func() { part(lo, hi, &heaps[w]) })
	}
	wg.Wait()
	all := heaps[0]
	for _, h := range heaps[1:] {
		for _, m := range h.m {
			if all.accepts(m.Score, m.Row) {
				all.push(m.Score, m.Row)
			}
		}
	}
	return all.sorted()
}
