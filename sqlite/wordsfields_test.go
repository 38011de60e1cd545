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

// TestWordsOnce: a kept value the text holds whole is indexed once (in
// the text column only), one it does not hold is found through the
// fields column; after an update too. Before schema step 8 every value was in fields as
// well (the first check fails); a trigger that left fields empty fails
// the second.
func TestWordsOnce(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "once.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	put := func(text, fields string) {
		t.Helper()
		e := salvo.Entry{Key: salvo.KeySpec{Model: "m"}.Key(text), Vector: []float32{1, 0}, Text: text}
		if err := s.Put(ctx, "c", []salvo.Entry{e}, []salvo.Item{{ID: "heat", Key: e.Key, Fields: []byte(fields)}}); err != nil {
			t.Fatal(err)
		}
	}
	// term -> the columns it is indexed in.
	columns := func() map[string][]string {
		t.Helper()
		if _, err := s.IndexWords(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, item_words_fts, 'col')`); err != nil {
			t.Fatal(err)
		}
		rows, err := s.w.QueryContext(ctx, `SELECT term, col FROM temp.words_vocab ORDER BY term, col`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string][]string{}
		for rows.Next() {
			var term, col string
			if err := rows.Scan(&term, &col); err != nil {
				t.Fatal(err)
			}
			got[term] = append(got[term], col)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	find := func(words ...string) bool {
		t.Helper()
		hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: words, Phrase: len(words) > 1}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(hits) == 1 && hits[0].ID == "heat"
	}
	check := func(when string, once, inFields []string) {
		t.Helper()
		cols := columns()
		for _, w := range once {
			if got := cols[w]; !slices.Equal(got, []string{"text"}) {
				t.Errorf("%s: %q is indexed in %q, want [text] only", when, w, got)
			}
			if !find(w) {
				t.Errorf("%s: TextSearch(%s) does not find the record", when, w)
			}
		}
		for _, w := range inFields {
			if got := cols[w]; !slices.Contains(got, "fields") {
				t.Errorf("%s: %q is indexed in %q, want fields among them", when, w, got)
			}
			if !find(w) {
				t.Errorf("%s: TextSearch(%s) does not find the record", when, w)
			}
		}
	}
	put("Heat (1995): a crime story in Los Angeles. Rated 9.",
		`{"title":"Heat","year":1995,"city":"Los Angeles","director":"Michael Mann","rank":42,"note":"Rated"}`)
	check("insert", []string{"heat", "1995", "los", "angeles", "rated"}, []string{"michael", "mann", "42"})
	if !find("los", "angeles") || !find("michael", "mann") {
		t.Error("a phrase of the text or of a value not in it does not find the record")
	}
	put("Heated: a 2001 drama in Paris.", `{"title":"Heated","year":2001,"city":"Paris","genre":"Noir","rank":"7"}`)
	check("update", []string{"heated", "2001", "paris"}, []string{"noir", "7"})
	if cols := columns(); cols["michael"] != nil || cols["1995"] != nil {
		t.Errorf("after the update the old words are still indexed: %q", cols)
	}
}

// TestWordsOnceMigration: the upgrade to schema step 8 indexes the items
// stored before anew, each word once, and leaves a record cut into pieces
// its entry (the words of all its pieces, which the items alone do not
// give).
func TestWordsOnceMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v7.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	key := func(s string) string { k := salvo.KeySpec{Model: "m"}.Key(s); return fmt.Sprintf("x'%x'", k[:]) }
	step := slices.Index(migrations, wordsOnceSchema)
	qs := append([]string{}, migrations[:step]...)
	qs = append(qs, fmt.Sprintf("PRAGMA application_id = %d", applicationID), fmt.Sprintf("PRAGMA user_version = %d", step),
		`INSERT INTO collections (id, name, model, dims, created_at, updated_at) VALUES (1, 'c', 'm', 2, 0, 0)`,
		`INSERT INTO cache (id, key, dims, vector, text) VALUES (1, `+key("a")+`, 2, x'0000803f00000000', 'Heat, a crime story')`,
		`INSERT INTO cache (id, key, dims, vector, text) VALUES (2, `+key("b")+`, 2, x'0000803f00000000', 'The first piece')`,
		`INSERT INTO items (collection_id, id, cache_id, updated_at, fields) VALUES (1, 'plain', 1, 0, '{"title":"Heat","director":"Mann"}')`,
		`INSERT INTO items (collection_id, id, cache_id, updated_at, fields) VALUES (1, 'long', 2, 0, '{"title":"Ronin"}')`,
		`INSERT INTO chunks (collection_id, id, chunk, start, "end", cache_id) VALUES (1, 'long', 0, 0, 15, 2)`,
		`DELETE FROM item_words_fts WHERE rowid = (SELECT id FROM item_words WHERE item_id = 'long')`,
		`INSERT INTO item_words_fts (rowid, text, fields) SELECT id, 'The first piece and the second', 'Ronin' FROM item_words WHERE item_id = 'long'`,
	)
	for _, q := range qs {
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
	for w, want := range map[string]string{"heat": "plain", "mann": "plain", "crime": "plain", "second": "long", "ronin": "long"} {
		hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{w}}, 10)
		if err != nil || len(hits) != 1 || hits[0].ID != want {
			t.Errorf("after the upgrade, TextSearch(%s) = %v, %v; want %s", w, hits, err, want)
		}
	}
	var heat, mann int
	if _, err := s.w.ExecContext(ctx, `CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, item_words_fts, 'instance')`); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM temp.v WHERE term = 'heat'),
		(SELECT count(*) FROM temp.v WHERE term = 'mann')`).Scan(&heat, &mann); err != nil {
		t.Fatal(err)
	}
	if heat != 1 || mann != 1 {
		t.Errorf("after the upgrade heat is indexed %d times, mann %d; want once each", heat, mann)
	}
}
