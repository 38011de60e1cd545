package offheap

import "syscall"

const madvHugepage = 14 // MADV_HUGEPAGE

func adviseHuge(b []byte) { syscall.Madvise(b, madvHugepage) }
