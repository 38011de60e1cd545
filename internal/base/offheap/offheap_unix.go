//go:build unix

package offheap

import "syscall"

func alloc(n int, huge bool) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	if huge {
		adviseHuge(b)
	}
	return b
}

func free(b []byte) { syscall.Munmap(b[:cap(b)]) }
