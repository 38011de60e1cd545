package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "salvo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPragmas checks the settings every connection must have, on several
// connections of each pool at once (the pools open them lazily).
func TestPragmas(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	pragma := func(c *sql.Conn, name string) string {
		var v string
		if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	check := func(pool string, db *sql.DB, n int, want map[string]string) {
		var conns []*sql.Conn
		for range n {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			for name, w := range want {
				if got := pragma(c, name); got != w {
					t.Errorf("%s connection %d: PRAGMA %s = %s, want %s", pool, i, name, got, w)
				}
			}
			c.Close()
		}
	}
	check("writer", s.w, 1, map[string]string{
		"journal_mode":   "wal",
		"page_size":      fmt.Sprint(PageSize),
		"synchronous":    "1", // NORMAL
		"foreign_keys":   "1",
		"temp_store":     "2", // MEMORY
		"busy_timeout":   fmt.Sprint(BusyTimeout.Milliseconds()),
		"user_version":   fmt.Sprint(SchemaVersion),
		"application_id": fmt.Sprint(applicationID),
	})
	check("reader", s.r, maxReaders, map[string]string{
		"journal_mode": "wal",
		"busy_timeout": fmt.Sprint(BusyTimeout.Milliseconds()),
		"query_only":   "1",
	})
}

// TestPageSizeKept: a file made with another page size keeps it.
func TestPageSizeKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "salvo.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA page_size = 16384", "VACUUM"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ps int
	if err := s.w.QueryRow("PRAGMA page_size").Scan(&ps); err != nil || ps != 16384 {
		t.Errorf("page_size of an existing file = %d, %v; want 16384 kept", ps, err)
	}
}

// TestKill runs a child process that commits Puts, leaves one transaction
// open, and kills itself: the next Open has every committed Put and none of
// the open transaction.
func TestKill(t *testing.T) {
	if path := os.Getenv("SALVO_SQLITE_KILL"); path != "" {
		killedWriter(path)
		return
	}
	path := filepath.Join(t.TempDir(), "salvo.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill$")
	cmd.Env = append(os.Environ(), "SALVO_SQLITE_KILL="+path)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.Exited() {
		t.Fatalf("child was not killed: %v\n%s", err, out)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open after kill -9: %v", err)
	}
	defer s.Close()
	items := storetest.KillItems()
	got := make([]salvo.Presence, len(items))
	if err := s.Lookup(context.Background(), "c", items, got); err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		want := salvo.Stored
		if i >= storetest.KillCommitted {
			want = salvo.Missing
		}
		if p != want {
			t.Errorf("item %d after kill -9: presence %d, want %d", i, p, want)
		}
	}
	var check string
	if err := s.w.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check after kill -9 = %q, %v", check, err)
	}
}

func killedWriter(path string) {
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	items, err := storetest.KillWriterCommits(ctx, s)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	// A transaction in flight: written to the WAL but never committed.
	tx, err := s.w.Begin()
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	for i := storetest.KillCommitted; i < len(items); i++ {
		if _, err := tx.Exec("INSERT INTO cache (key, dims, vector) VALUES (?, 1, x'00000000')", items[i].Key[:]); err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
	}
	p, _ := os.FindProcess(os.Getpid())
	p.Kill()
	select {}
}

// TestEachThenPut: fn may write while Each reads.
func TestEachThenPut(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "c", storetest.Entries(2, 1, 2), []salvo.Item{{ID: "a", Key: storetest.Key(1)}, {ID: "b", Key: storetest.Key(2)}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := s.Each(ctx, "c", func(id string, v []float32) error {
		n++
		return s.Put(ctx, "c", nil, []salvo.Item{{ID: id + "-copy", Key: storetest.Key(1)}})
	})
	if err != nil || n < 2 {
		t.Fatalf("Each with a Put inside: %d calls, %v", n, err)
	}
	cs, err := s.Collections(ctx)
	if err != nil || len(cs) != 1 || cs[0].Count < 4 {
		t.Errorf("after Each with Puts: %+v, %v; want at least 4 items", cs, err)
	}
}

// TestRawIDs: record IDs are stored and found byte for byte, whatever they
// hold.
func TestRawIDs(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"\xff\xfe", "a\x00b", "\x00", "tab\there", "new\nline", `back\slash`, `"quoted"`, "\u2028", "\x7f", "é", "\xc3", "", "[1]"}
	var items []salvo.Item
	for i, id := range ids {
		items = append(items, salvo.Item{ID: id, Key: storetest.Key(i)})
	}
	seeds := make([]int, len(ids))
	for i := range seeds {
		seeds[i] = i
	}
	if err := s.Put(ctx, "c", storetest.Entries(2, seeds...), items); err != nil {
		t.Fatal(err)
	}
	out := make([]salvo.Presence, len(items))
	if err := s.Lookup(ctx, "c", items, out); err != nil {
		t.Fatal(err)
	}
	for i, p := range out {
		if p != salvo.Stored {
			t.Errorf("ID %q: presence %d, want Stored", ids[i], p)
		}
	}
	seen := map[string]bool{}
	if err := s.Each(ctx, "c", func(id string, _ []float32) error { seen[id] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !seen[id] {
			t.Errorf("Each does not give back ID %q", id)
		}
	}
}

// FuzzLookupID: whatever the ID, an item just stored is found Stored.
func FuzzLookupID(f *testing.F) {
	for _, seed := range []string{"tt0111161", "", "\x00", "\xff", `"\`, "a\u0000b", "\\u0000", "é☃"} {
		f.Add(seed)
	}
	s, err := Open(filepath.Join(f.TempDir(), "salvo.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		f.Fatal(err)
	}
	if err := s.Put(ctx, "c", storetest.Entries(2, 1, 2), nil); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string) {
		// Only key 1 is ever stored under an ID; key 2 is cached.
		items := []salvo.Item{{ID: id, Key: storetest.Key(1)}, {ID: id, Key: storetest.Key(2)}}
		if err := s.Put(ctx, "c", nil, items[:1]); err != nil {
			t.Fatal(err)
		}
		out := make([]salvo.Presence, 2)
		if err := s.Lookup(ctx, "c", items, out); err != nil {
			t.Fatal(err)
		}
		if out[0] != salvo.Stored {
			t.Errorf("ID %q just stored: presence %d", id, out[0])
		}
		if out[1] != salvo.Cached {
			t.Errorf("ID %q with a cached key it was never stored with: presence %d, want Cached", id, out[1])
		}
	})
}

// TestUpsertItemsAcrossStatements: one Put of hundreds of items (written
// in statements of 256, 16 and 1 rows) stores them all, a later item with
// an earlier one's ID wins, and the words index has each item once.
func TestUpsertItemsAcrossStatements(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	n := 407
	seeds := make([]int, n+1)
	items := make([]salvo.Item, 0, n+1)
	for i := range n {
		seeds[i] = i + 1
		items = append(items, salvo.Item{ID: fmt.Sprintf("r%04d", i), Key: storetest.Key(i + 1), Fields: []byte(fmt.Sprintf(`{"t":"word%d"}`, i))})
	}
	// r0003 again, in the last statement, with another vector.
	seeds[n] = n + 1
	items = append(items, salvo.Item{ID: "r0003", Key: storetest.Key(n + 1), Fields: []byte(`{"t":"again"}`)})
	if err := s.Put(ctx, "c", storetest.Entries(4, seeds...), items); err != nil {
		t.Fatal(err)
	}
	got := map[string][]float32{}
	if err := s.Each(ctx, "c", func(id string, v []float32) error { got[id] = v; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d items stored, want %d", len(got), n)
	}
	if want := storetest.Vector(n+1, 4); !slices.Equal(got["r0003"], want) {
		t.Errorf("r0003 = %v, want the later item's %v", got["r0003"], want)
	}
	for _, c := range []struct {
		word string
		want int
	}{{"again", 1}, {"word3", 0}, {"word250", 1}} {
		hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{c.word}}, 10)
		if err != nil || len(hits) != c.want {
			t.Errorf("TextSearch(%s) = %v, %v; want %d hits", c.word, hits, err, c.want)
		}
	}
}

// TestUpsertItemsBytes: the IDs and fields a Put stores come back byte for
// byte, whatever bytes an ID holds and whatever characters the fields.
func TestUpsertItemsBytes(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"\xff\xfe", "nul\x00x", `q"u\o'te é`, "", "日本"}
	fields := [][]byte{[]byte(`{"t":"Amélie \"x\" \u00e9 日本"}`), nil, []byte(`{"n":1.50e3,"a":[1, 2]}`), []byte(`{}`), nil}
	var items []salvo.Item
	for i, id := range ids {
		items = append(items, salvo.Item{ID: id, Key: storetest.Key(i + 1), Fields: fields[i]})
	}
	if err := s.Put(ctx, "c", storetest.Entries(4, 1, 2, 3, 4, 5), items); err != nil {
		t.Fatal(err)
	}
	docs, err := s.Docs(ctx, "c", ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		if d.ID != ids[i] || string(d.Fields) != string(fields[i]) || (d.Fields == nil) != (fields[i] == nil) {
			t.Errorf("Docs[%d] = %q %q, want %q %q", i, d.ID, d.Fields, ids[i], fields[i])
		}
	}
	n := 0
	if err := s.Each(ctx, "c", func(id string, v []float32) error {
		if !slices.Contains(ids, id) {
			t.Errorf("Each gives ID %q, not one stored", id)
		}
		n++
		return nil
	}); err != nil || n != len(ids) {
		t.Errorf("Each: %d items, %v; want %d", n, err, len(ids))
	}
}
