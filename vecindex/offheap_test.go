//go:build unix

package vecindex

import (
	"fmt"
	"runtime"
	"testing"
)

// TestQuantizedOffHeap checks that the int8 copy is not on the Go heap,
// where it would raise the collector's goal by its own size, and that it
// is searched like before (the same top 10 as the float32 scan).
func TestQuantizedOffHeap(t *testing.T) {
	const n, dims = 20000, 384
	vecs := clustered(n, dims, 7)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%06d", i)
	}
	ix, err := New(dims, ids, vecs)
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	ix.Quantize()
	grown := int64(heap()) - int64(before)
	copySize := int64(n * ((dims + 31) &^ 31))
	// The scales (4 bytes a row) stay on the heap: a 100th of the copy.
	if grown > copySize/10 {
		t.Errorf("the heap grew by %d bytes when quantising, want well under the int8 copy's %d", grown, copySize)
	}
	for _, row := range []int{0, 4321, n - 1} {
		q := ix.Vector(row)
		exact, quant := ix.Search(q, 10, NoSkip), ix.SearchQuantized(q, 10, NoSkip)
		if len(quant) != 10 || quant[0].Row != row || quant[0] != exact[0] {
			t.Errorf("row %d: quantised top %v, exact top %v", row, quant[:1], exact[:1])
		}
	}
	runtime.KeepAlive(ix)
}
