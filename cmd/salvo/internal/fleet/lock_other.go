//go:build !unix

package fleet

// Lock does nothing where flock is missing: one `salvo fleet up` at a time
// is then the user's care.
func Lock(path string, waiting func()) (unlock func(), err error) { return func() {}, nil }
