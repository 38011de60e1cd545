package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// heapGrowth runs f and returns by how much the Go heap's objects grew
// above what they were before, at most, while f ran: a goroutine reads
// runtime/metrics as often as it can, and the collector runs often (GOGC
// 10) so that garbage waiting to be collected barely counts.
func heapGrowth(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var top uint64
		for {
			select {
			case <-done:
				peak <- top
				return
			default:
			}
			top = max(top, read())
			runtime.Gosched()
		}
	}()
	f()
	close(done)
	top := <-peak
	if top < base {
		return 0
	}
	return top - base
}

// putMany stores n items of dims dimensions in Puts of 500, with the
// vectors of seeds from seed on, the IDs of off to off+n-1.
func putMany(t *testing.T, s *Store, coll string, n, dims, seed, off int) {
	t.Helper()
	for lo := 0; lo < n; lo += 500 {
		var seeds []int
		var items []salvo.Item
		for i := lo; i < min(n, lo+500); i++ {
			seeds = append(seeds, seed+i)
			items = append(items, salvo.Item{ID: fmt.Sprintf("id-%06d", off+(i*7919)%n), Key: storetest.Key(seed + i)})
		}
		if err := s.Put(context.Background(), coll, storetest.Entries(dims, seeds...), items); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIndexHeapBounded: Index writes the vector file of a collection
// larger than the spool takes (read from the database), larger than the
// spool keeps in memory (from the spool's file, on top of the previous
// file) or than the Go heap should grow by (from the spool in memory)
// without holding the collection in memory: the heap grows by much less than the
// collection's 16 MB of vectors (it grew by all of them when the file was
// written from the database).
func TestIndexHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 16 MB of vectors")
	}
	const n, dims = 4000, 1024
	size := uint64(n * dims * 4)
	for _, c := range []struct {
		name                 string
		maxSpool, maxRecords int
		spooled              func(int) bool
		inFile               bool
	}{
		{"from the database", maxSpool, 100, func(k int) bool { return k == -1 }, false},
		{"from the spool", maxSpool, maxSpoolRecords, func(k int) bool { return k > 0 }, false},
		{"from the spool's file", 1 << 12, maxSpoolRecords, func(k int) bool { return k > 0 }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func(m, r int) { maxSpool, maxSpoolRecords = m, r }(maxSpool, maxSpoolRecords)
			maxSpool, maxSpoolRecords = c.maxSpool, c.maxRecords
			ctx := context.Background()
			s := openTemp(t)
			if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
				t.Fatal(err)
			}
			cid, err := s.collectionID(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			// A first file, then half the records again with other
			// vectors and some new ones: the second Index merges (or
			// reads everything back).
			putMany(t, s, "c", n, dims, 0, 0)
			index(t, s, "c")
			putMany(t, s, "c", n/2, dims, n, 3*n/4)
			if k := spooled(s, cid); !c.spooled(k) {
				t.Fatalf("%d vectors spooled", k)
			}
			if got := spoolInFile(s, cid); got != c.inFile {
				t.Fatalf("the spool in a file: %v, want %v", got, c.inFile)
			}
			var ierr error
			grew := heapGrowth(func() { ierr = s.Index(ctx, "c") })
			if ierr != nil {
				t.Fatal(ierr)
			}
			sameAsDatabase(t, s, cid, true)
			if grew > size/4 {
				t.Errorf("the Go heap grew by %d bytes while Index wrote a collection of %d bytes of vectors; want at most %d", grew, size, size/4)
			}
			t.Logf("heap grew by %d bytes for %d bytes of vectors", grew, size)
		})
	}
}

// spoolInFile says whether collection cid's spool keeps its vectors in a
// file.
func spoolInFile(s *Store, cid int64) bool {
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	sp := s.spool.m[cid]
	return sp != nil && sp.file != nil
}

// TestSpoolFileFails: a spool that cannot move to its file, or whose file
// cannot be written, is dropped, and Index reads the collection from the
// database: the file is still right.
func TestSpoolFileFails(t *testing.T) {
	for _, c := range []struct {
		name   string
		create func(dir, pattern string) (*os.File, error)
	}{
		{"not created", func(string, string) (*os.File, error) { return nil, errors.New("no room") }},
		{"not written", func(dir, pattern string) (*os.File, error) {
			f, err := os.CreateTemp(dir, pattern)
			if err == nil {
				os.Remove(f.Name())
				f.Close() // every write fails
			}
			return f, err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func(m int, c func(string, string) (*os.File, error)) { maxSpool, createTemp = m, c }(maxSpool, createTemp)
			maxSpool, createTemp = 6*100, c.create
			ctx := context.Background()
			s := openTemp(t)
			if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
				t.Fatal(err)
			}
			cid, err := s.collectionID(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			putRange(t, s, "c", 0, 50, 0)
			if n := spooled(s, cid); n != 50 {
				t.Fatalf("%d vectors spooled, want 50", n)
			}
			putRange(t, s, "c", 50, 300, 0) // past maxSpool
			if n := spooled(s, cid); n != -1 {
				t.Fatalf("a spool of %d vectors kept, its file failing", n)
			}
			index(t, s, "c")
			sameAsDatabase(t, s, cid, true)
		})
	}
}
