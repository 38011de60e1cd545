//go:build !unix

package sqlite

// onReadOnlyFS is false where the system cannot say: such a database is
// not opened as immutable.
func onReadOnlyFS(string) bool { return false }
