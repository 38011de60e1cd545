package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
)

// TestWordsMigration: a database of schema version 2 with records stored
// has them indexed by the upgrade, and the index then follows new Puts.
func TestWordsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	key := salvo.KeySpec{Model: "m"}.Key("old")
	for _, q := range []string{migrations[0], migrations[1],
		fmt.Sprintf("PRAGMA application_id = %d", applicationID), "PRAGMA user_version = 2",
		`INSERT INTO collections (id, name, model, dims, created_at, updated_at) VALUES (1, 'c', 'm', 2, 0, 0)`,
		fmt.Sprintf(`INSERT INTO cache (id, key, dims, vector, text) VALUES (1, x'%x', 2, x'0000803f00000000', 'An old crime story')`, key[:]),
		`INSERT INTO items (collection_id, id, cache_id, updated_at, fields) VALUES (1, 'old', 1, 0, '{"title":"Heat","year":1995}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	find := func(words ...string) []string {
		t.Helper()
		hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: words}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.ID)
		}
		return ids
	}
	for _, w := range []string{"crime", "heat", "1995"} {
		if got := find(w); !slices.Equal(got, []string{"old"}) {
			t.Errorf("after the upgrade, TextSearch(%s) = %q, want [old]", w, got)
		}
	}
	e := salvo.Entry{Key: salvo.KeySpec{Model: "m"}.Key("new"), Vector: []float32{0, 1}, Text: "A new crime"}
	if err := s.Put(ctx, "c", []salvo.Entry{e}, []salvo.Item{{ID: "new", Key: e.Key}}); err != nil {
		t.Fatal(err)
	}
	if got := find("crime"); len(got) != 2 {
		t.Errorf("TextSearch(crime) after a Put = %q, want old and new", got)
	}
}

// FuzzFTSQuery: whatever the words, the FTS5 query is valid and matches
// no operator.
func FuzzFTSQuery(f *testing.F) {
	for _, s := range []string{"fox", `"`, "a OR b", "NEAR(", "*", "col:umn", "\x00", "é"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	s, err := Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, word string, phrase bool) {
		if _, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{word, "x"}, Phrase: phrase}, 5); err != nil {
			t.Errorf("TextSearch(%q): %v", word, err)
		}
	})
}

// TestTextSearchSharedIndex: TextSearch ranks the matches of every
// collection first, then keeps the collection's; when another collection's
// records outrank them, it still returns the k best of the collection, in
// order, and never a record of the other.
func TestTextSearchSharedIndex(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "shared.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	put := func(coll string, n int, text func(i int) string) {
		t.Helper()
		if _, err := s.OpenCollection(ctx, salvo.Collection{Name: coll, Model: "m"}); err != nil {
			t.Fatal(err)
		}
		var (
			es    []salvo.Entry
			items []salvo.Item
		)
		for i := range n {
			txt := text(i)
			e := salvo.Entry{Key: salvo.KeySpec{Model: "m"}.Key(coll + txt), Vector: []float32{1, float32(i)}, Text: txt}
			es = append(es, e)
			items = append(items, salvo.Item{ID: fmt.Sprintf("%s%02d", coll, i), Key: e.Key})
		}
		if err := s.Put(ctx, coll, es, items); err != nil {
			t.Fatal(err)
		}
	}
	// "mine": fox once among more and more other words, so the first
	// ranks best; "theirs": fox alone, which outranks them all.
	put("mine", 8, func(i int) string {
		txt := "fox"
		for j := range i + 1 {
			txt += fmt.Sprintf(" word%d", j)
		}
		return txt
	})
	put("theirs", 20, func(i int) string { return fmt.Sprintf("fox %d", i) })
	for _, k := range []int{1, 3, 8, 20} {
		hits, err := s.TextSearch(ctx, "mine", salvo.TextQuery{Words: []string{"fox"}}, k)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
		}
		var want []string
		for i := range min(k, 8) {
			want = append(want, fmt.Sprintf("mine%02d", i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("TextSearch(mine, fox, %d) = %q, want %q", k, got, want)
		}
	}
	hits, err := s.TextSearch(ctx, "theirs", salvo.TextQuery{Words: []string{"fox"}}, 5)
	if err != nil || len(hits) != 5 {
		t.Fatalf("TextSearch(theirs, fox, 5) = %v, %v: want 5 hits", hits, err)
	}
}
