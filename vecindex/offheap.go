package vecindex

import (
	"runtime"
	"unsafe"

	"github.com/salvoembed/salvo/internal/base/offheap"
)

// int8s returns n zeroed int8s outside the Go heap (internal/base/offheap),
// given back when owner becomes unreachable. The garbage collector sets its
// next goal at twice the live heap: a copy of tens of megabytes on the heap
// would let a busy server's garbage grow by as much again before a
// collection (a server over 171,075 × 384 held 65 MB more that way). Where
// no such memory is had, the heap.
func int8s(n int, owner *quantized) []int8 {
	b := offheap.Alloc(n)
	if b == nil {
		return make([]int8, n)
	}
	runtime.AddCleanup(owner, offheap.Free, b)
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
