package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// clustered returns n unit vectors of dims values around n/100+1 random
// centres, as embeddings of a catalog cluster by topic: near neighbours
// have close scores, which is what makes quantisation hard.
func clustered(n, dims int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float32, n/100+1)
	for c := range centres {
		centres[c] = make([]float32, dims)
		for j := range dims {
			centres[c][j] = float32(r.NormFloat64())
		}
	}
	v := make([]float32, n*dims)
	for i := range n {
		c := centres[r.IntN(len(centres))]
		row := v[i*dims : (i+1)*dims]
		for j := range dims {
			row[j] = c[j] + 0.8*float32(r.NormFloat64())
		}
		unit(row)
	}
	return v
}

func unit(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(s))
	for j := range v {
		v[j] *= inv
	}
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("id%07d", i)
	}
	return out
}

// bruteForce is the reference: every score in float64, sorted.
func bruteForce(x *Index, q []float32, k int, skip func(int) bool) []Match {
	all := make([]Match, 0, x.Len())
	for i := range x.Len() {
		if skip(i) {
			continue
		}
		var s float64
		for j, f := range x.Vector(i) {
			s += float64(f) * float64(q[j])
		}
		all = append(all, Match{i, float32(s)})
	}
	slices.SortStableFunc(all, func(a, b Match) int {
		if a.Score > b.Score {
			return -1
		}
		if a.Score < b.Score {
			return 1
		}
		return 0
	})
	return all[:min(k, len(all))]
}

func query(x *Index, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	q := slices.Clone(x.Vector(r.IntN(x.Len())))
	for j := range q {
		q[j] += 0.05 * float32(r.NormFloat64())
	}
	unit(q)
	return q
}

func rowsOf(ms []Match) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = m.Row
	}
	return out
}

func TestSearchMatchesBruteForce(t *testing.T) {
	for _, n := range []int{1, 5, 999, 3000} { // 3000 × 384 floats: the parallel path
		const dims = 384
		x, err := New(dims, ids(n), clustered(n, dims, uint64(n)))
		if err != nil {
			t.Fatal(err)
		}
		for qi := range 5 {
			q := query(x, uint64(qi))
			for _, k := range []int{1, 10, 50} {
				want := rowsOf(bruteForce(x, q, k, NoSkip))
				if got := rowsOf(x.Search(q, k, nil)); !slices.Equal(got, want) {
					t.Errorf("n=%d k=%d query %d: Search rows %v, want %v", n, k, qi, got, want)
				}
				if got := rowsOf(x.SearchQuantized(q, k, nil)); !slices.Equal(got, want) {
					t.Errorf("n=%d k=%d query %d: SearchQuantized rows %v, want %v", n, k, qi, got, want)
				}
			}
		}
	}
}

func TestSearchSkipsAndOrders(t *testing.T) {
	const dims = 64
	x, err := New(dims, ids(500), clustered(500, dims, 7))
	if err != nil {
		t.Fatal(err)
	}
	q := slices.Clone(x.Vector(42))
	skip := func(i int) bool { return i == 42 }
	for name, got := range map[string][]Match{"float32": x.Search(q, 10, skip), "int8": x.SearchQuantized(q, 10, skip)} {
		if len(got) != 10 {
			t.Fatalf("%s: %d matches, want 10", name, len(got))
		}
		for i, m := range got {
			if m.Row == 42 {
				t.Errorf("%s: the skipped row is in the results", name)
			}
			if i > 0 && m.Score > got[i-1].Score {
				t.Errorf("%s: results not best first: %v", name, got)
			}
		}
		if want := rowsOf(bruteForce(x, q, 10, skip)); !slices.Equal(rowsOf(got), want) {
			t.Errorf("%s: rows %v, want %v", name, rowsOf(got), want)
		}
	}
	if got := x.Search(q, 1, nil); got[0].Row != 42 || math.Abs(float64(got[0].Score)-1) > 1e-5 {
		t.Errorf("a stored vector's best match is %+v, want row 42 with score 1", got[0])
	}
}

// Equal scores go to the lower row, whichever chunk found them.
func TestSearchTiesGoToLowerRow(t *testing.T) {
	const n, dims = 4096, 256
	v := make([]float32, n*dims)
	for i := range n {
		v[i*dims+i%dims] = 1
	}
	x, _ := New(dims, ids(n), v)
	q := make([]float32, dims)
	q[3] = 1
	want := []int{3, 3 + dims, 3 + 2*dims}
	if got := rowsOf(x.Search(q, 3, nil)); !slices.Equal(got, want) {
		t.Errorf("float32: rows %v, want %v", got, want)
	}
	if got := rowsOf(x.SearchQuantized(q, 3, nil)); !slices.Equal(got, want) {
		t.Errorf("int8: rows %v, want %v", got, want)
	}
}

func TestRow(t *testing.T) {
	for _, list := range [][]string{{"a", "b", "c"}, {"c", "a", "b"}} {
		x, _ := New(1, list, []float32{1, 1, 1})
		for i, id := range list {
			if r, ok := x.Row(id); !ok || r != i {
				t.Errorf("%v: Row(%q) = %d, %v; want %d", list, id, r, ok, i)
			}
		}
		if _, ok := x.Row("zz"); ok {
			t.Errorf("%v: Row of a missing ID found", list)
		}
	}
}

func TestNewChecksLengths(t *testing.T) {
	if _, err := New(3, ids(2), make([]float32, 5)); err == nil {
		t.Error("New accepted 5 floats for 2 vectors of 3")
	}
	if _, err := New(0, nil, nil); err == nil {
		t.Error("New accepted 0 dimensions")
	}
}

func TestDotsKernelMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, stride := range []int{32, 64, 384, 768, 1024} {
		const n = 37
		q := make([]int8, stride)
		rows := make([]int8, n*stride)
		for i := range q {
			q[i] = int8(r.IntN(255) - 127)
		}
		for i := range rows {
			rows[i] = int8(r.IntN(255) - 127)
		}
		rows[0], q[0] = -128, -128 // the extremes
		got, want := make([]int32, n), make([]int32, n)
		dotsInt8(widen(q), rows, stride, got)
		dotsGo(widen(q), rows, stride, want)
		if !slices.Equal(got, want) {
			t.Errorf("stride %d: kernel %v, want %v", stride, got[:4], want[:4])
		}
	}
}

func FuzzDotsKernel(f *testing.F) {
	f.Add([]byte{1, 2, 3}, []byte{255, 128, 7})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		const stride = 64
		q := make([]int8, stride)
		rows := make([]int8, 3*stride) // a pair of rows and a single one
		for i := range min(len(a), stride) {
			q[i] = int8(a[i])
		}
		for i := range min(len(b), 3*stride) {
			rows[i] = int8(b[i])
		}
		got, want := make([]int32, 3), make([]int32, 3)
		dotsInt8(widen(q), rows, stride, got)
		dotsGo(widen(q), rows, stride, want)
		if !slices.Equal(got, want) {
			t.Errorf("kernel %v, want %v", got, want)
		}
	})
}

// TestQuantizeWhileSearching: a server quantises in the background while
// it answers; under -race, building the copy while other goroutines search
// (either scan, or call Quantize too) must be safe, and every search
// exact for this data.
func TestQuantizeWhileSearching(t *testing.T) {
	const n, dims = 3000, 384 // the parallel paths
	x, err := New(dims, ids(n), clustered(n, dims, 11))
	if err != nil {
		t.Fatal(err)
	}
	q := query(x, 3)
	want := rowsOf(bruteForce(x, q, 10, NoSkip))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 4 {
		wg.Go(func() {
			if g == 0 {
				x.Quantize()
				return
			}
			search := x.Search
			if g%2 == 0 {
				search = x.SearchQuantized
			}
			if got := rowsOf(search(q, 10, nil)); !slices.Equal(got, want) {
				errs <- fmt.Sprintf("goroutine %d: rows %v, want %v", g, got, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if !x.Quantized() {
		t.Error("Quantized() is false after Quantize")
	}
}
