package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// spooled says how many vectors s holds for collection cid's next vector
// file, -1 for none.
func spooled(s *Store, cid int64) int {
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	if sp := s.spool.m[cid]; sp != nil {
		return len(sp.ids)
	}
	return -1
}

// putRange stores items id-LO..id-HI-1 with the vectors of seeds from+LO on.
func putRange(t *testing.T, s *Store, coll string, lo, hi, from int) {
	t.Helper()
	var seeds []int
	var items []salvo.Item
	for i := lo; i < hi; i++ {
		seeds = append(seeds, from+i)
		items = append(items, salvo.Item{ID: fmt.Sprintf("id-%05d", (i*7919)%10007), Key: storetest.Key(from + i), Fields: []byte(`{"n":1}`)})
	}
	if err := s.Put(context.Background(), coll, storetest.Entries(6, seeds...), items); err != nil {
		t.Fatal(err)
	}
}

// TestIndexFromSpool: the vector file a run writes from the vectors it
// stored is the one the database gives, for a new collection and on top of
// the previous file (records added, records changed, records linked to
// cached vectors), and Index reads nothing back to write it; the same when
// the spool outgrew its memory and keeps its vectors in a file, which
// leaves nothing in the database's folder.
func TestIndexFromSpool(t *testing.T) {
	t.Run("in memory", func(t *testing.T) { testIndexFromSpool(t, false) })
	t.Run("in a file", func(t *testing.T) {
		defer func(m int) { maxSpool = m }(maxSpool)
		maxSpool = 6 * 100
		testIndexFromSpool(t, true)
	})
}

func testIndexFromSpool(t *testing.T, inFile bool) {
	ctx := context.Background()
	s := openTemp(t)
	dir, _ := filepath.Split(s.path)
	files := func() []string {
		t.Helper()
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	before := files()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	cid, err := s.collectionID(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	putRange(t, s, "c", 0, 300, 0)
	putRange(t, s, "c", 300, 500, 0)
	putRange(t, s, "c", 100, 120, 1000) // the same IDs again, other vectors
	if n := spooled(s, cid); n != 520 {
		t.Fatalf("%d vectors spooled, want 520", n)
	}
	if got := spoolInFile(s, cid); got != inFile {
		t.Fatalf("the spool in a file: %v, want %v", got, inFile)
	}
	if runtime.GOOS != "windows" && !slices.Equal(files(), before) {
		t.Errorf("files beside the database while spooling: %q, want %q", files(), before)
	}
	indexSpool(t, s, cid)
	sameAsDatabase(t, s, cid, true)

	// On top of that file: new records, changed ones, and links to
	// vectors cached already (no entry in the Put).
	putRange(t, s, "c", 500, 700, 0)
	putRange(t, s, "c", 0, 50, 2000)
	links := []salvo.Item{{ID: "id-00003", Key: storetest.Key(600)}, {ID: "linked", Key: storetest.Key(601)}}
	if err := s.Put(ctx, "c", nil, links); err != nil {
		t.Fatal(err)
	}
	if n := spooled(s, cid); n != 252 {
		t.Fatalf("%d vectors spooled on the file, want 252", n)
	}
	indexSpool(t, s, cid)
	sameAsDatabase(t, s, cid, true)

	// Index takes the same path.
	putRange(t, s, "c", 700, 710, 0)
	index(t, s, "c")
	if n := spooled(s, cid); n != -1 {
		t.Errorf("a spool of %d vectors left after Index", n)
	}
	sameAsDatabase(t, s, cid, true)
	want := append(slices.Clone(before), filepath.Base(VectorFilePath(s.path, cid)))
	slices.Sort(want)
	if got := files(); !slices.Equal(got, want) {
		t.Errorf("files beside the database after Index: %q, want %q", got, want)
	}
}

// indexSpool writes and records the vector file from the spool, as Index
// does, failing if the spool cannot give it.
func indexSpool(t *testing.T, s *Store, cid int64) {
	t.Helper()
	sp := s.takeSpool(cid)
	defer sp.free()
	h, err := s.indexFromSpool(context.Background(), cid, sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.recordVectorFile(context.Background(), "c", cid, h); err != nil {
		t.Fatal(err)
	}
}

// TestIndexSpoolBroken: a change this Store did not make (another
// process's Put, a deletion, a cached vector replaced) drops the spool, and
// Index reads the collection from the database: the file is still right.
func TestIndexSpoolBroken(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		change func(t *testing.T, s, other *Store)
	}{
		{"another process", func(t *testing.T, s, other *Store) { putRange(t, other, "c", 900, 910, 0) }},
		{"a deletion", func(t *testing.T, s, other *Store) {
			if _, err := s.DeleteItems(ctx, "c", []string{fmt.Sprintf("id-%05d", 7919)}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a cached vector replaced", func(t *testing.T, s, other *Store) {
			// Key 5 is item 5's; a new vector for it changes item 5 in
			// the file although this Put does not name it.
			e := storetest.Entries(6, 3000)
			e[0].Key = storetest.Key(5)
			if err := s.Put(ctx, "c", e, []salvo.Item{{ID: "new", Key: storetest.Key(5)}}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			other, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
				t.Fatal(err)
			}
			cid, _ := s.collectionID(ctx, "c")
			putRange(t, s, "c", 0, 100, 0)
			index(t, s, "c")
			putRange(t, s, "c", 100, 200, 0)
			c.change(t, s, other)
			putRange(t, s, "c", 200, 300, 0)
			if n := spooled(s, cid); n != -1 {
				t.Errorf("a spool of %d vectors kept after a change it did not see", n)
			}
			index(t, s, "c")
			sameAsDatabase(t, s, cid, true)
		})
	}
}

// TestIndexRemovesStaleTemps: the temporary files of a vector file that a
// killed run left go when the file is next written; a recent one, which
// may be another process's write in progress, stays.
func TestIndexRemovesStaleTemps(t *testing.T) {
	s, cid := filled(t, 50)
	path := VectorFilePath(s.path, cid)
	dir, base := filepath.Split(path)
	stale := filepath.Join(dir, "."+base+".tmp-0123456789ab")
	recent := filepath.Join(dir, "."+base+".tmp-ba9876543210")
	other := filepath.Join(dir, "."+base+"0.tmp-0123456789ab") // collection 10's
	for _, p := range []string{stale, recent, other} {
		if err := os.WriteFile(p, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTempAge)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	index(t, s, "c")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file is still there (%v)", err)
	}
	for _, p := range []string{recent, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v; want it kept", filepath.Base(p), err)
		}
	}
	sameAsDatabase(t, s, cid, true)
}
