//go:build unix

package fleet

import (
	"path/filepath"
	"testing"
)

// A second Lock says it waits, and gets the lock once the first is released.
func TestLockWaitsForTheOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "salvo", "fleet.json")
	unlock, err := Lock(path, func() { t.Error("the first Lock waited") })
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	got := make(chan error, 1)
	go func() {
		unlock2, err := Lock(path, func() { close(waiting) })
		if err == nil {
			unlock2()
		}
		got <- err
	}()
	<-waiting
	select {
	case err := <-got:
		t.Fatalf("the second Lock returned (%v) while the first held it", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
