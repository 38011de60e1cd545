package sqlite

import (
	"unsafe"

	"github.com/salvoembed/salvo/internal/base/offheap"
)

// allocSlab returns room for n floats outside Go's heap, or nil when the
// memory cannot be had (the caller makes it on the heap); freeSlab returns
// it.
func allocSlab(n int) []float32 {
	b := offheap.Alloc(4 * n)
	if b == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)[:0]
}

// freeSlab returns a slab of allocSlab.
func freeSlab(s []float32) {
	s = s[:cap(s)]
	offheap.Free(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s)))
}
