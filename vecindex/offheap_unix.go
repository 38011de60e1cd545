//go:build unix

package vecindex

import (
	"runtime"
	"syscall"
	"unsafe"
)

// int8s returns n zeroed int8s outside the Go heap: an anonymous mapping,
// unmapped when owner becomes unreachable. The garbage collector sets its
// next goal at twice the live heap: a copy of tens of megabytes on the
// heap would let a busy server's garbage grow by as much again before a
// collection (a server over 171,075 × 384 held 65 MB more that way). A
// mapping that fails falls back to the heap.
func int8s(n int, owner *quantized) []int8 {
	if n == 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]int8, n)
	}
	runtime.AddCleanup(owner, func(b []byte) { syscall.Munmap(b) }, b)
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
