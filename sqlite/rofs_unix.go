//go:build unix

package sqlite

import "syscall"

// onReadOnlyFS says whether dir is on a file system mounted read-only:
// nothing, not even root, can write there.
func onReadOnlyFS(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == syscall.EROFS
}
