package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "salvo.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "m", Template: "{{.title}}"}); err != nil {
		t.Fatal(err)
	}
	items := []salvo.Item{{ID: "a", Key: storetest.Key(1)}, {ID: "b", Key: storetest.Key(2)}}
	if err := s.Put(ctx, "movies", storetest.Entries(3, 1, 2, 3), items); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRun(ctx, salvo.RunRecord{Collection: "movies", Model: "m", Stats: []byte(`{"embedded":2}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	cs, err := s.Collections(ctx)
	want := []salvo.Collection{{Name: "movies", Model: "m", Template: "{{.title}}", Dims: 3, Count: 2}}
	if err != nil || !slices.Equal(cs, want) {
		t.Errorf("Collections after reopening = %+v, %v; want %+v", cs, err, want)
	}
	lookup := append(items, salvo.Item{ID: "c", Key: storetest.Key(3)})
	out := make([]salvo.Presence, len(lookup))
	if err := s.Lookup(ctx, "movies", lookup, out); err != nil {
		t.Fatal(err)
	}
	if want := []salvo.Presence{salvo.Stored, salvo.Stored, salvo.Cached}; !slices.Equal(out, want) {
		t.Errorf("Lookup after reopening = %v, want %v", out, want)
	}
	runs, err := s.Runs(ctx, "movies", 0)
	if err != nil || len(runs) != 1 || string(runs[0].Stats) != `{"embedded":2}` {
		t.Errorf("Runs after reopening = %+v, %v", runs, err)
	}
}

func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sqliteFile := func(name string, stmts ...string) string {
		p := filepath.Join(dir, name)
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range stmts {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return p
	}
	tests := []struct {
		name, path string
		want       []string // substrings of the error
	}{
		{"empty path", "", []string{"empty path"}},
		{"missing folder", filepath.Join(dir, "nope", "salvo.db"), []string{"folder", "does not exist", "create it"}},
		{"a folder", dir, []string{"is a folder"}},
		{"a text file", write("notes.txt", strings.Repeat("not a database at all\n", 100)), []string{"notes.txt is not a salvo database"}},
		{"another program's database", sqliteFile("other.db", "CREATE TABLE t (x)"), []string{"other.db is not a salvo database", "another program"}},
		{"another application id", sqliteFile("appid.db", "PRAGMA application_id = 42"), []string{"appid.db is not a salvo database"}},
		{"a newer salvo", sqliteFile("newer.db", "PRAGMA application_id = 1396788310", "PRAGMA user_version = 99"),
			[]string{"newer.db was written by a newer salvo", "schema version 99", "upgrade salvo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%q) error %q does not say %q", tt.path, err, w)
				}
			}
		})
	}
}

// TestAbandoned: a store that is never closed (its process went away) leaves
// a WAL behind; the next Open must see every committed Put.
func TestAbandoned(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "salvo.db")
	first, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Close() })
	if _, err := first.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	items := []salvo.Item{{ID: "a", Key: storetest.Key(1)}}
	if err := first.Put(ctx, "c", storetest.Entries(2, 1), items); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no write-ahead log beside an open store: %v", err)
	}

	second := openAt(t, path)
	out := make([]salvo.Presence, 1)
	if err := second.Lookup(ctx, "c", items, out); err != nil || out[0] != salvo.Stored {
		t.Fatalf("second store: Lookup = %v, %v; want Stored", out, err)
	}
	more := []salvo.Item{{ID: "b", Key: storetest.Key(2)}}
	if err := second.Put(ctx, "c", storetest.Entries(2, 2), more); err != nil {
		t.Fatalf("second store: Put: %v", err)
	}
	if err := first.Lookup(ctx, "c", more, out); err != nil || out[0] != salvo.Stored {
		t.Errorf("first store does not see the second's Put: %v, %v", out, err)
	}
}

func TestRuns(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "salvo.db"))
	t0 := time.UnixMilli(1_700_000_000_000)
	runs := []salvo.RunRecord{
		{Collection: "a", Model: "m", Started: t0, Finished: t0.Add(time.Minute), Stats: []byte(`{"n":1}`), Args: []string{"salvo", "embed"}},
		{Collection: "b", Model: "m", Started: t0.Add(time.Hour), Finished: t0.Add(2 * time.Hour)},
		{Collection: "a", Model: "m2", Started: t0.Add(3 * time.Hour), Finished: t0.Add(4 * time.Hour), Stats: []byte(`[1, 2]`)},
	}
	for _, r := range runs {
		if err := s.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordRun(ctx, salvo.RunRecord{Collection: "a", Stats: []byte(`{"n":`)}); err == nil {
		t.Error("RecordRun with invalid stats succeeded")
	}
	tests := []struct {
		coll  string
		limit int
		want  []int // indexes into runs, newest first
	}{
		{"", 0, []int{2, 1, 0}},
		{"", 2, []int{2, 1}},
		{"a", 0, []int{2, 0}},
		{"a", 1, []int{2}},
		{"b", 5, []int{1}},
		{"none", 0, nil},
	}
	for _, tt := range tests {
		got, err := s.Runs(ctx, tt.coll, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Errorf("Runs(%q, %d) = %d runs, want %d", tt.coll, tt.limit, len(got), len(tt.want))
			continue
		}
		for i, w := range tt.want {
			r, g := runs[w], got[i]
			stats := string(r.Stats)
			if stats == "" {
				stats = "{}"
			}
			if g.ID == 0 || g.Collection != r.Collection || g.Model != r.Model || !g.Started.Equal(r.Started) ||
				!g.Finished.Equal(r.Finished) || string(g.Stats) != stats || !slices.Equal(g.Args, r.Args) {
				t.Errorf("Runs(%q, %d)[%d] = %+v, want %+v", tt.coll, tt.limit, i, g, r)
			}
		}
	}
}

func TestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a b?c#d.db") // characters a URI would take for its own
	s := openAt(t, path)
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
}

func TestLookupShortOut(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "salvo.db"))
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	err := s.Lookup(ctx, "c", []salvo.Item{{ID: "a"}, {ID: "b"}}, make([]salvo.Presence, 1))
	if err == nil {
		t.Error("Lookup with too short an out slice succeeded")
	}
	if errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("Lookup with too short an out slice: %v", err)
	}
}

// TestTwoStores: two stores on one file (two salvo processes) write at the
// same time; the busy timeout makes each wait for the other.
func TestTwoStores(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "salvo.db")
	stores := []*sqlite.Store{openAt(t, path), openAt(t, path)}
	if _, err := stores[0].OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	const batches, batch = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, len(stores))
	for n, s := range stores {
		wg.Go(func() {
			for b := range batches {
				var (
					seeds []int
					items []salvo.Item
				)
				for i := range batch {
					seed := (n*batches+b)*batch + i
					seeds = append(seeds, seed)
					items = append(items, salvo.Item{ID: fmt.Sprint(seed), Key: storetest.Key(seed)})
				}
				if err := s.Put(ctx, "c", storetest.Entries(4, seeds...), items); err != nil {
					errs <- fmt.Errorf("store %d: %w", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c, err := stores[1].OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"})
	if err != nil || c.Count != len(stores)*batches*batch {
		t.Errorf("after writing from two stores: %+v, %v; want %d items", c, err, len(stores)*batches*batch)
	}
}

// A file that is not salvo's is never modified by Open: not its journal
// mode, not a byte (salvo used to switch another program's database to WAL
// before it refused it).
func TestOpenLeavesForeignFilesAlone(t *testing.T) {
	dir := t.TempDir()
	foreign := func(name string, stmts ...string) string {
		p := filepath.Join(dir, name)
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range stmts {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
		return p
	}
	files := []string{
		foreign("other.db", "PRAGMA journal_mode = DELETE", "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"),
		foreign("appid.db", "PRAGMA journal_mode = DELETE", "PRAGMA application_id = 42", "CREATE TABLE t (x)"),
		foreign("empty-other.db", "PRAGMA journal_mode = DELETE", "PRAGMA user_version = 7"),
		foreign("wal-other.db", "PRAGMA journal_mode = WAL", "CREATE TABLE t (x)"),
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, text)
	for _, p := range files {
		before, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := sqlite.Open(p)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded on a file that is not salvo's", filepath.Base(p))
			continue
		}
		if !strings.Contains(err.Error(), "is not a salvo database") {
			t.Errorf("Open(%s): %v", filepath.Base(p), err)
		}
		after, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, after) {
			t.Errorf("Open(%s) changed the file (%d bytes before, %d after)", filepath.Base(p), len(before), len(after))
		}
		if _, err := os.Stat(p + "-journal"); err == nil {
			t.Errorf("Open(%s) left a journal", filepath.Base(p))
		}
	}
}

// Several salvo processes may open one new file at once: each Open waits
// for the others' setup instead of failing with "database is locked".
func TestOpenNewFileConcurrently(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("shared%d.db", round))
		errs := make(chan error, 6)
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				s, err := sqlite.Open(path)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
