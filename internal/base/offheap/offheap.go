// Package offheap hands out memory outside the Go heap: anonymous mappings
// that the garbage collector neither scans nor counts, for large buffers
// whose life the caller knows (the int8 copy of a search index, the spool
// of a SQLite vector file). A buffer on the heap would move the collector's
// goal by its own size; one outside it does not.
package offheap

// Alloc returns n zeroed bytes outside the Go heap, or nil where the system
// gives none (the caller then makes them on the heap). Free returns them.
//
// The pages are the kernel's usual 4 KiB ones, not huge pages: on a virtual
// machine that hands its free memory back to the host (virtio-balloon's
// free page reporting, which reports free blocks of 2 MiB and up), a fresh
// huge page is one the host must back again, 4 KiB at a time, under the
// guest's zeroing. On the machine of docs/BENCHMARKS.md, filling 32 MiB
// took 89 ms in huge pages asked for with MADV_HUGEPAGE, against 20 ms in
// 4 KiB pages, once the memory had been free a few seconds.
func Alloc(n int) []byte {
	if n <= 0 {
		return nil
	}
	return alloc(n)
}

// Free returns memory that Alloc gave; b must be the whole buffer.
func Free(b []byte) {
	if len(b) > 0 {
		free(b)
	}
}
