package sqlite

import (
	"syscall"
	"unsafe"
)

// allocSlab returns n floats of memory outside Go's heap, in huge pages
// where the kernel allows (one page fault per 2 MiB, not per 4 KiB), or nil
// when the memory cannot be had; freeSlab returns it.
func allocSlab(n int) []float32 {
	b, err := syscall.Mmap(-1, 0, 4*n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	syscall.Madvise(b, 14) // MADV_HUGEPAGE
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)[:0]
}

// freeSlab returns a slab of allocSlab.
func freeSlab(s []float32) {
	s = s[:cap(s)]
	syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s)))
}
