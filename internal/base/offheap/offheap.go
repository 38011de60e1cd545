// Package offheap hands out memory outside the Go heap: anonymous mappings
// that the garbage collector neither scans nor counts, for large buffers
// whose life the caller knows (the int8 copy of a search index, the spool
// of a SQLite vector file). A buffer on the heap would move the collector's
// goal by its own size; one outside it does not.
package offheap

// Alloc returns n zeroed bytes outside the Go heap, or nil where the system
// gives none (the caller then makes them on the heap). With huge, it asks
// for huge pages where the kernel has them: one page fault per 2 MiB
// instead of per 4 KiB. Free returns them.
func Alloc(n int, huge bool) []byte {
	if n <= 0 {
		return nil
	}
	return alloc(n, huge)
}

// Free returns memory that Alloc gave; b must be the whole buffer.
func Free(b []byte) {
	if len(b) > 0 {
		free(b)
	}
}
