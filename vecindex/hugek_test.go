package vecindex

import (
	"math"
	"slices"
	"testing"
)

// A k far beyond the rows (salvo similar --k 100000000000 on 300 records)
// used to allocate a heap of k matches and run out of memory; k near
// math.MaxInt overflowed k × Oversample and returned nothing. Every row
// comes back, best first, as for k = the row count.
func TestSearchHugeK(t *testing.T) {
	const n, dims = 300, 32
	x, err := New(dims, ids(n), clustered(n, dims, 7))
	if err != nil {
		t.Fatal(err)
	}
	q := query(x, 1)
	want := rowsOf(bruteForce(x, q, n, NoSkip))
	for _, k := range []int{1e11, math.MaxInt} {
		if got := rowsOf(x.Search(q, k, nil)); !slices.Equal(got, want) {
			t.Errorf("k=%d: Search gave %d rows, want all %d in order", k, len(got), n)
		}
		if got := rowsOf(x.SearchQuantized(q, k, nil)); !slices.Equal(got, want) {
			t.Errorf("k=%d: SearchQuantized gave %d rows, want all %d in order", k, len(got), n)
		}
		skip := func(r int) bool { return r == want[0] }
		if got := x.Search(q, k, skip); len(got) != n-1 {
			t.Errorf("k=%d with a row skipped: %d rows, want %d", k, len(got), n-1)
		}
	}
}
