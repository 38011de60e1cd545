package offheap

import (
	"runtime"
	"testing"
)

// TestAlloc: the bytes come zeroed, can be written and read back, and are
// not on the Go heap (the heap does not grow by their size).
func TestAlloc(t *testing.T) {
	const n = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 2 { // and again after Free
		b := Alloc(n)
		if b == nil {
			t.Skipf("no memory outside the heap on %s", runtime.GOOS)
		}
		if len(b) != n {
			t.Fatalf("len %d, want %d", len(b), n)
		}
		for i := 0; i < n; i += 4096 {
			if b[i] != 0 {
				t.Fatalf("byte %d is %d, want 0", i, b[i])
			}
			b[i] = byte(i >> 12)
		}
		for i := 0; i < n; i += 4096 {
			if b[i] != byte(i>>12) {
				t.Fatalf("byte %d reads %d, want %d", i, b[i], byte(i>>12))
			}
		}
		runtime.ReadMemStats(&after)
		if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > n/2 {
			t.Errorf("the heap grew by %d bytes for %d bytes outside it", grown, n)
		}
		Free(b)
	}
	if Alloc(0) != nil {
		t.Error("Alloc(0) is not nil")
	}
}
