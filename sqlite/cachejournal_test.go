package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// mayAbort lists the instructions of the program SQLite compiles for query
// on conn that make it keep a statement journal when the statement writes
// many rows: a function call (a function may fail), an integer check of a
// rowid given as a parameter, and a halt under ON CONFLICT ABORT (P2 is
// the conflict action, 2 being ABORT).
func mayAbort(t *testing.T, conn *sql.Conn, query string, args int) []string {
	t.Helper()
	ctx := context.Background()
	params := make([]any, args)
	rows, err := conn.QueryContext(ctx, "EXPLAIN "+query, params...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var addr, p1, p2, p3 int64
		var op string
		var p4, p5, comment any
		if err := rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
			t.Fatal(err)
		}
		switch {
		case op == "Function" || op == "PureFunc" || op == "MustBeInt",
			(op == "Halt" || op == "HaltIfNull") && p2 == 2:
			found = append(found, fmt.Sprintf("%d %s %v", addr, op, p4))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return found
}

// TestCacheInsertKeepsNoJournal: the multi-row cache inserts hold nothing
// that makes SQLite keep a statement journal (cacherows.go), on the
// writer's own connection, with its foreign keys on. The same look at the
// insert of schema 10 (ids given, the table's CHECKs) finds what it had.
func TestCacheInsertKeepsNoJournal(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	conn, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, rows := range cacheSizes {
		if found := mayAbort(t, conn, insertCacheSQL(rows), cacheParams*rows); len(found) > 0 {
			t.Errorf("the insert of %d cache rows may abort half-way, so SQLite journals its pages: %q", rows, found)
		}
	}

	old := filepath.Join(t.TempDir(), "v10.db")
	writeVersion(t, old, 10)
	db, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	oc, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	v10 := `INSERT INTO cache (id, key, dims, vector, text) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`
	found := strings.Join(mayAbort(t, oc, v10, 10), "; ")
	for _, want := range []string{"MustBeInt", "length", "Halt"} {
		if !strings.Contains(found, want) {
			t.Errorf("schema 10's insert: no %s among %q", want, found)
		}
	}
}

// TestCacheRowsWellFormed: what the cache's CHECKs held up to schema 10
// holds by construction for every row Put writes (new rows, a key given
// twice, a key cached before), and for a file upgraded from schema 10 with
// rows in it, whose rows stay as they were.
func TestCacheRowsWellFormed(t *testing.T) {
	ctx := context.Background()
	key := func(n int) salvo.Key { return salvo.Key(sha256.Sum256(fmt.Appendf(nil, "key %d", n))) }
	wellFormed := func(t *testing.T, db *sql.DB, want int) {
		t.Helper()
		var rows, bad int
		if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE length(key) != 32 OR typeof(key) != 'blob'
			OR typeof(vector) != 'blob' OR length(vector) != 4 * dims OR dims <= 0) FROM cache`).Scan(&rows, &bad); err != nil {
			t.Fatal(err)
		}
		if rows != want || bad != 0 {
			t.Errorf("%d cache rows, %d of them not a 32-byte key with a vector of 4 × dims bytes; want %d rows", rows, bad, want)
		}
		var check string
		if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("integrity_check: %q, %v", check, err)
		}
	}

	t.Run("put", func(t *testing.T) {
		s := openTemp(t)
		for _, name := range []string{"c", "d"} {
			if _, err := s.OpenCollection(ctx, salvo.Collection{Name: name, Model: "m"}); err != nil {
				t.Fatal(err)
			}
		}
		put := func(coll string, keys []int, dims, seed int) {
			t.Helper()
			var es []salvo.Entry
			var items []salvo.Item
			for i, k := range keys {
				es = append(es, salvo.Entry{Key: key(k), Vector: storetest.Vector(seed+i, dims), Text: fmt.Sprintf("text %d", k)})
				items = append(items, salvo.Item{ID: fmt.Sprint(k), Key: key(k)})
			}
			if err := s.Put(ctx, coll, es, items); err != nil {
				t.Fatal(err)
			}
		}
		var first, second []int
		for k := range 80 {
			first = append(first, k)
		}
		for k := 70; k < 150; k++ {
			second = append(second, k, k) // cached before, or new and given twice
		}
		put("c", first, 768, 0)
		put("c", second, 768, 1000)
		put("d", []int{200, 201, 202}, 8, 2000)
		wellFormed(t, s.w, 153) // keys 0–149 and 200–202
	})

	// A cache holding the largest id SQLite allows: it then numbers new
	// rows at random, and Put must read each key's id back.
	t.Run("largest id taken", func(t *testing.T) {
		s := openTemp(t)
		if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
			t.Fatal(err)
		}
		top := key(-1)
		if _, err := s.w.ExecContext(ctx, `INSERT INTO cache (id, key, dims, vector, text) VALUES (9223372036854775807, ?, 8, ?, 'top')`,
			top[:], encodeVector(storetest.Vector(-1, 8))); err != nil {
			t.Fatal(err)
		}
		want := map[string][]float32{}
		var es []salvo.Entry
		var items []salvo.Item
		for k := range 75 {
			v := storetest.Vector(k, 8)
			es = append(es, salvo.Entry{Key: key(k), Vector: v, Text: fmt.Sprintf("text %d", k)})
			items = append(items, salvo.Item{ID: fmt.Sprint(k), Key: key(k)})
			want[fmt.Sprint(k)] = v
		}
		if err := s.Put(ctx, "c", es, items); err != nil {
			t.Fatal(err)
		}
		got := map[string][]float32{}
		if err := s.Each(ctx, "c", func(id string, v []float32) error {
			got[id] = v
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("%d items read back, want %d", len(got), len(want))
		}
		for id, v := range want {
			if !slices.Equal(got[id], v) {
				t.Errorf("item %s: vector %v, want %v", id, got[id], v)
			}
		}
		wellFormed(t, s.w, 76)
	})

	t.Run("upgraded", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v10.db")
		writeVersion(t, path, 10)
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		vec := encodeVector(storetest.Vector(1, 4))
		k := key(1)
		if _, err := db.Exec(`INSERT INTO cache (id, key, dims, vector, text) VALUES (7, ?, 4, ?, 'a text')`, k[:], vec); err != nil {
			t.Fatal(err)
		}
		db.Close()
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wellFormed(t, s.w, 1)
		var id int64
		var got []byte
		var text, def string
		if err := s.w.QueryRowContext(ctx, `SELECT id, vector, text FROM cache WHERE key = ?`, k[:]).Scan(&id, &got, &text); err != nil {
			t.Fatal(err)
		}
		if id != 7 || string(got) != string(vec) || text != "a text" {
			t.Errorf("the upgraded row: id %d, text %q, vector kept %v", id, text, string(got) == string(vec))
		}
		if err := s.w.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'cache'`).Scan(&def); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(def, "CHECK") {
			t.Errorf("the upgraded cache keeps its CHECKs: %s", def)
		}
		var stray int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name LIKE 'salvo_schema_%'`).Scan(&stray); err != nil || stray != 0 {
			t.Errorf("%d tables of the upgrade left behind (%v)", stray, err)
		}
	})
}
