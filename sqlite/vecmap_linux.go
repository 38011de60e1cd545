package sqlite

import "syscall"

// mapPopulate asks Linux to map every page of the file at once (it is
// read whole right after), instead of one page fault per few pages.
const mapPopulate = syscall.MAP_POPULATE
