//go:build unix

package offheap

import "syscall"

func alloc(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	return b
}

func free(b []byte) { syscall.Munmap(b[:cap(b)]) }
