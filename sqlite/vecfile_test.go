package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// filled is a store with collection "c" of n items of 6 dimensions and
// collection "d" sharing the cached vector of key 0.
func filled(t *testing.T, n int) (*Store, int64) {
	t.Helper()
	ctx := context.Background()
	s := openTemp(t)
	for _, name := range []string{"c", "d"} {
		if _, err := s.OpenCollection(ctx, salvo.Collection{Name: name, Model: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	seeds := make([]int, n)
	items := make([]salvo.Item, n)
	for i := range n {
		seeds[i] = i
		items[i] = salvo.Item{ID: fmt.Sprintf("id-%05d", (i*7919)%n), Key: storetest.Key(i)}
	}
	if err := s.Put(ctx, "c", storetest.Entries(6, seeds...), items); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "d", nil, []salvo.Item{{ID: "x", Key: storetest.Key(0)}}); err != nil {
		t.Fatal(err)
	}
	cid, err := s.collectionID(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	return s, cid
}

// sameAsDatabase checks that Vectors gives what the database holds, and
// whether it came from the vector file.
func sameAsDatabase(t *testing.T, s *Store, cid int64, fromFile bool) {
	t.Helper()
	ctx := context.Background()
	_, _, _, ferr := s.vectorsFromFile(ctx, cid)
	if got := ferr == nil; got != fromFile {
		t.Fatalf("vector file used: %v (%v), want %v", got, ferr, fromFile)
	}
	if !fromFile && !errors.Is(ferr, errVecFile) && !errors.Is(ferr, os.ErrNotExist) {
		t.Fatalf("vector file refused with %v, want errVecFile or a missing file", ferr)
	}
	ids, vecs, dims, err := s.Vectors(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	wids, wvecs, wdims, err := s.vectorsSQL(ctx, "c", cid)
	if err != nil {
		t.Fatal(err)
	}
	if dims != wdims || !slices.Equal(ids, wids) || !slices.Equal(vecs, wvecs) {
		t.Fatalf("Vectors gives %d IDs × %d dims, the database %d × %d (or other values)", len(ids), dims, len(wids), wdims)
	}
}

func index(t *testing.T, s *Store, coll string) {
	t.Helper()
	if err := s.Index(context.Background(), coll); err != nil {
		t.Fatal(err)
	}
}

func TestVectorFileUsedWhenCurrent(t *testing.T) {
	s, cid := filled(t, 3000)
	sameAsDatabase(t, s, cid, false) // none written yet
	index(t, s, "c")
	if _, err := os.Stat(VectorFilePath(s.path, cid)); err != nil {
		t.Fatalf("Index wrote no vector file: %v", err)
	}
	sameAsDatabase(t, s, cid, true)

	// A read-only open (salvo search) maps it too, and cannot index.
	ro, err := OpenReadOnly(s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	sameAsDatabase(t, ro, cid, true)
	if err := ro.Index(context.Background(), "c"); !errors.Is(err, salvo.ErrReadOnly) {
		t.Errorf("Index on a read-only store: %v, want ErrReadOnly", err)
	}
}

// TestVectorFileStale: every change to the collection's vectors (a Put, a
// delete however made, a vector replaced through another collection) makes
// the file stale until the next Index.
func TestVectorFileStale(t *testing.T) {
	ctx := context.Background()
	changes := map[string]func(s *Store) error{
		"put a new item": func(s *Store) error {
			return s.Put(ctx, "c", storetest.Entries(6, 99999), []salvo.Item{{ID: "new", Key: storetest.Key(99999)}})
		},
		"point an item at another vector": func(s *Store) error {
			return s.Put(ctx, "c", nil, []salvo.Item{{ID: "id-00000", Key: storetest.Key(1)}})
		},
		"delete an item": func(s *Store) error {
			_, err := s.DeleteItems(ctx, "c", []string{"id-00001"})
			return err
		},
		"a new vector for a shared key, put through another collection": func(s *Store) error {
			e := storetest.Entries(6, 0)
			e[0].Vector[0] = 42
			return s.Put(ctx, "d", e, []salvo.Item{{ID: "x", Key: storetest.Key(0)}})
		},
		"a raw SQL delete": func(s *Store) error {
			_, err := s.w.ExecContext(ctx, `DELETE FROM items WHERE collection_id = (SELECT id FROM collections WHERE name = 'c') AND id = 'id-00002'`)
			return err
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			s, cid := filled(t, 100)
			index(t, s, "c")
			sameAsDatabase(t, s, cid, true)
			if err := change(s); err != nil {
				t.Fatal(err)
			}
			sameAsDatabase(t, s, cid, false)
			index(t, s, "c")
			sameAsDatabase(t, s, cid, true)
		})
	}
	t.Run("another collection's items", func(t *testing.T) {
		s, cid := filled(t, 100)
		index(t, s, "c")
		if err := s.Put(ctx, "d", storetest.Entries(6, 5000), []salvo.Item{{ID: "y", Key: storetest.Key(5000)}}); err != nil {
			t.Fatal(err)
		}
		sameAsDatabase(t, s, cid, true)
	})
}

// TestPutBumpsGenerationOnce: a Put that inserts items bumps the
// collection's generation once, whatever their number (schema 12: no
// trigger per row), and one that stores them unchanged leaves it, so the
// vector file stays current.
func TestPutBumpsGenerationOnce(t *testing.T) {
	ctx := context.Background()
	s, cid := filled(t, 100)
	index(t, s, "c")
	gen := func() int64 {
		t.Helper()
		v, err := s.vectorState(ctx, cid)
		if err != nil {
			t.Fatal(err)
		}
		return v.generation
	}
	g0 := gen()

	same := make([]salvo.Item, 100)
	for i := range same {
		same[i] = salvo.Item{ID: fmt.Sprintf("id-%05d", (i*7919)%100), Key: storetest.Key(i)}
	}
	if err := s.Put(ctx, "c", nil, same); err != nil {
		t.Fatal(err)
	}
	if g := gen(); g != g0 {
		t.Errorf("items stored unchanged moved the generation from %d to %d", g0, g)
	}
	sameAsDatabase(t, s, cid, true)

	seeds := []int{7001, 7002, 7003}
	var items []salvo.Item
	for _, k := range seeds {
		items = append(items, salvo.Item{ID: fmt.Sprintf("new-%d", k), Key: storetest.Key(k)})
	}
	if err := s.Put(ctx, "c", storetest.Entries(6, seeds...), items); err != nil {
		t.Fatal(err)
	}
	if g := gen(); g != g0+1 {
		t.Errorf("a Put of %d new items took the generation from %d to %d, want %d", len(items), g0, g, g0+1)
	}
	sameAsDatabase(t, s, cid, false)
	index(t, s, "c")
	sameAsDatabase(t, s, cid, true)

	var trig int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'vector_files_item_added'`).Scan(&trig); err != nil {
		t.Fatal(err)
	}
	if trig != 0 {
		t.Errorf("the trigger per item inserted is still there")
	}
}

// TestVectorFileNotTrusted: a file that does not agree with the database
// is never used, whatever happened to it.
func TestVectorFileNotTrusted(t *testing.T) {
	ctx := context.Background()
	damages := map[string]func(t *testing.T, s *Store, path string){
		"missing": func(t *testing.T, s *Store, path string) { os.Remove(path) },
		"a byte flipped": func(t *testing.T, s *Store, path string) {
			b, _ := os.ReadFile(path)
			b[len(b)/2] ^= 1
			os.WriteFile(path, b, 0o644)
		},
		"cut short": func(t *testing.T, s *Store, path string) { os.Truncate(path, 1000) },
		"empty":     func(t *testing.T, s *Store, path string) { os.Truncate(path, 0) },
		"an older file put back": func(t *testing.T, s *Store, path string) {
			old, _ := os.ReadFile(path)
			if err := s.Put(ctx, "c", storetest.Entries(6, 7777), []salvo.Item{{ID: "later", Key: storetest.Key(7777)}}); err != nil {
				t.Fatal(err)
			}
			index(t, s, "c")
			os.WriteFile(path, old, 0o644)
		},
		// A crash after the new file replaced the old one, before the
		// database recorded it: the database still names the old file.
		"written, not recorded": func(t *testing.T, s *Store, path string) {
			if err := s.Put(ctx, "c", storetest.Entries(6, 8888), []salvo.Item{{ID: "later", Key: storetest.Key(8888)}}); err != nil {
				t.Fatal(err)
			}
			st, err := s.vectorState(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			ids, vecs, dims, err := s.vectorsSQL(ctx, "c", 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := writeVectorFile(path, 1, st.generation, ids, vecs, dims); err != nil {
				t.Fatal(err)
			}
		},
		"a folder": func(t *testing.T, s *Store, path string) { os.Remove(path); os.Mkdir(path, 0o755) },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			s, cid := filled(t, 500)
			index(t, s, "c")
			// A fresh store: the first one keeps what it mapped.
			ro, err := OpenReadOnly(s.path)
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			damage(t, s, VectorFilePath(s.path, cid))
			sameAsDatabase(t, ro, cid, false)
			if name != "a folder" {
				index(t, s, "c") // rebuilt
				ro2, err := OpenReadOnly(s.path)
				if err != nil {
					t.Fatal(err)
				}
				defer ro2.Close()
				sameAsDatabase(t, ro2, cid, true)
			}
		})
	}
}

func TestVectorFileNotWritable(t *testing.T) {
	s, cid := filled(t, 10)
	path := VectorFilePath(s.path, cid)
	if err := os.Mkdir(path, 0o755); err != nil { // a folder where the file goes
		t.Fatal(err)
	}
	err := s.Index(context.Background(), "c")
	var vfe *VectorFileError
	if !errors.As(err, &vfe) || vfe.Path != path || vfe.Collection != "c" {
		t.Fatalf("Index = %v, want a *VectorFileError for %s", err, path)
	}
	sameAsDatabase(t, s, cid, false)
}

// FuzzParseVectorFile: no input makes the parser panic or read out of
// bounds, and what it accepts is a file writeVectorFile writes again byte
// for byte.
func FuzzParseVectorFile(f *testing.F) {
	dir := f.TempDir()
	for i, c := range []struct {
		ids  []string
		dims int
	}{{[]string{"a", "b", "é"}, 3}, {nil, 4}, {[]string{""}, 1}, {[]string{"x", "yy"}, 2}} {
		path := fmt.Sprintf("%s/seed%d", dir, i)
		vecs := make([]float32, len(c.ids)*c.dims)
		for j := range vecs {
			vecs[j] = float32(j) / 7
		}
		if _, err := writeVectorFile(path, 3, 9, c.ids, vecs, c.dims); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// What the file's own header says, so that parsing goes past the
		// comparison with the database.
		var want vecHeader
		if len(b) >= vecHeaderSize {
			want = vecHeader{dims: int(uint32le(b[12:])), count: int(uint64le(b[16:])), collection: int64(uint64le(b[24:])),
				generation: int64(uint64le(b[32:])), idBytes: int(uint64le(b[40:])), checksum: uint32le(b[48:])}
		}
		ids, vecs, err := parseVectorFile(b, want)
		if err != nil {
			return
		}
		path := t.TempDir() + "/again"
		if _, err := writeVectorFile(path, want.collection, want.generation, ids, slices.Clone(vecs), want.dims); err != nil {
			t.Fatalf("accepted %d IDs × %d dims, written again: %v", len(ids), want.dims, err)
		}
		again, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(b) {
			t.Fatalf("accepted a file that is not written again byte for byte")
		}
	})
}

func uint32le(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func uint64le(b []byte) uint64 { return uint64(uint32le(b)) | uint64(uint32le(b[4:]))<<32 }

// TestVectorFileAfterUpgrade: a collection stored before the vector files
// existed gets one at its first Index after the upgrade.
func TestVectorFileAfterUpgrade(t *testing.T) {
	s, cid := filled(t, 50)
	path := s.path
	ctx := context.Background()
	// Back to the schema version before the vector files, as an older
	// salvo left it (without the steps after them too).
	before := slices.Index(migrations, vectorFilesMigration)
	for _, q := range []string{
		`ALTER TABLE items DROP COLUMN text_at`,
		`ALTER TABLE items DROP COLUMN text_refs`,
		`DROP TABLE words_due`,
		`DROP TABLE vector_files`,
		`DROP TRIGGER vector_files_new_collection`,
		`DROP TRIGGER vector_files_item_deleted`,
		`DROP TRIGGER vector_files_item_changed`,
		`DROP TRIGGER vector_files_vector_changed`,
		fmt.Sprintf("PRAGMA user_version = %d", before),
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	s.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	index(t, s, "c")
	sameAsDatabase(t, s, cid, true)
}

// TestVectorFileDropped: salvo drop removes the collection's vector file.
func TestVectorFileDropped(t *testing.T) {
	s, cid := filled(t, 100)
	index(t, s, "c")
	path := VectorFilePath(s.path, cid)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Index wrote no vector file: %v", err)
	}
	if _, err := s.DropCollection(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the vector file of a dropped collection: %v, want it gone", err)
	}
}
