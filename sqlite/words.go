package sqlite

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/salvoembed/salvo"
)

var _ salvo.TextSearcher = (*Store)(nil)

// wordsSchema is migration 3: the full-text index of the items.
//
// item_words gives each item (collection, ID) the integer row the index
// needs (items has none: WITHOUT ROWID); item_words_fts is a contentless
// FTS5 table (the words only, not a second copy of the texts) of two
// columns, the item's text and the values of its kept fields (strings and
// numbers, from json_tree), tokenised by unicode61 with diacritics
// removed, so that "Amélie" matches "amelie". The triggers index an item
// when it is inserted, again when its vector (its text) or fields change,
// and remove it when it is deleted: in the same transaction as the item,
// with no pass of their own.
// wordsTables are the tables of the words index.
const wordsTables = `CREATE TABLE item_words (
		id            INTEGER PRIMARY KEY,
		collection_id INTEGER NOT NULL,
		item_id       TEXT    NOT NULL,
		UNIQUE (collection_id, item_id)
	);
	CREATE VIRTUAL TABLE item_words_fts USING fts5 (text, fields,
		content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');`

const wordsSchema = wordsTables + `
	CREATE TRIGGER items_words_insert AFTER INSERT ON items BEGIN
		INSERT INTO item_words (collection_id, item_id) VALUES (new.collection_id, new.id);
		INSERT INTO item_words_fts (rowid, text, fields) VALUES (
			(SELECT id FROM item_words WHERE collection_id = new.collection_id AND item_id = new.id),
			(SELECT text FROM cache WHERE id = new.cache_id),
			(SELECT group_concat(value, ' ') FROM json_tree(new.fields) WHERE type IN ('text', 'integer', 'real')));
	END;
	CREATE TRIGGER items_words_update AFTER UPDATE OF cache_id, fields ON items BEGIN
		DELETE FROM item_words_fts WHERE rowid =
			(SELECT id FROM item_words WHERE collection_id = old.collection_id AND item_id = old.id);
		INSERT INTO item_words_fts (rowid, text, fields) VALUES (
			(SELECT id FROM item_words WHERE collection_id = new.collection_id AND item_id = new.id),
			(SELECT text FROM cache WHERE id = new.cache_id),
			(SELECT group_concat(value, ' ') FROM json_tree(new.fields) WHERE type IN ('text', 'integer', 'real')));
	END;
	CREATE TRIGGER items_words_delete AFTER DELETE ON items BEGIN
		DELETE FROM item_words_fts WHERE rowid =
			(SELECT id FROM item_words WHERE collection_id = old.collection_id AND item_id = old.id);
		DELETE FROM item_words WHERE collection_id = old.collection_id AND item_id = old.id;
	END;
	INSERT INTO item_words (collection_id, item_id) SELECT collection_id, id FROM items;
	INSERT INTO item_words_fts (rowid, text, fields)
		SELECT w.id, c.text,
			(SELECT group_concat(value, ' ') FROM json_tree(i.fields) WHERE type IN ('text', 'integer', 'real'))
		FROM item_words AS w
		JOIN items AS i ON i.collection_id = w.collection_id AND i.id = w.item_id
		JOIN cache AS c ON c.id = i.cache_id;`

// textSearchSQL ranks by BM25 (bm25() is lower for a better match, so the
// score is its negation); ?1 is the collection, ?2 the FTS5 query.
//
// It ranks the matches of every collection, the best ?3 only, and then
// keeps the collection's: BM25 costs a lookup of each match's lengths, and
// a join on item_words for each of thousands of matches (a query with a
// year or a common word) cost as much again (37 against 25 ms for 6,000
// matches of 171,075 records). When another collection's records take
// some of those places, fewer than ?3 come back and TextSearch asks
// textSearchAllSQL, which keeps the collection's before ranking. Ties go to
// the lower rowid (the order the records were stored in).
const textSearchSQL = `WITH best AS (
		SELECT rowid AS id, -bm25(item_words_fts) AS score FROM item_words_fts
		WHERE item_words_fts MATCH ?2 ORDER BY score DESC, rowid LIMIT ?3)
	SELECT w.item_id, best.score, best.id
	FROM best JOIN item_words AS w ON w.id = best.id
	WHERE w.collection_id = ?1
	ORDER BY best.score DESC, best.id`

// textSearchAllSQL is textSearchSQL for a collection that shares the index
// with others: it ranks the collection's matches only.
const textSearchAllSQL = `SELECT w.item_id, -bm25(item_words_fts) AS score, w.id
	FROM item_words_fts JOIN item_words AS w ON w.id = item_words_fts.rowid
	WHERE item_words_fts MATCH ?2 AND w.collection_id = ?1
	ORDER BY score DESC, w.id LIMIT ?3`

// TextSearch ranks the collection's items by BM25 over their text and kept
// fields: any of q's words, or all of them as a phrase.
func (s *Store) TextSearch(ctx context.Context, collection string, q salvo.TextQuery, k int) ([]salvo.Hit, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return nil, err
	}
	match := ftsQuery(q)
	if k <= 0 || match == "" {
		return nil, nil
	}
	// The records stored since the last search by words are indexed
	// first. When that fails (a file this process cannot write), the
	// index as it stands is searched: a caller who must know calls
	// IndexWords itself.
	s.indexWordsDue(ctx)
	hits, err := s.textSearch(ctx, textSearchSQL, cid, match, k)
	if err == nil && len(hits) < k {
		// Either fewer than k records match, or other collections' took
		// places among the best k: rank this collection's alone.
		hits, err = s.textSearch(ctx, textSearchAllSQL, cid, match, k)
	}
	if err != nil {
		return nil, fmt.Errorf("search the words of collection %q in %s: %w", collection, s.path, err)
	}
	return hits, nil
}

func (s *Store) textSearch(ctx context.Context, query string, cid int64, match string, k int) ([]salvo.Hit, error) {
	rows, err := s.r.QueryContext(ctx, query, cid, match, k)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := make([]salvo.Hit, 0, min(k, 256))
	for rows.Next() {
		var (
			h     salvo.Hit
			score float64
			rowid int64
		)
		if err := rows.Scan(&h.ID, &score, &rowid); err != nil {
			return nil, err
		}
		h.Score = float32(score)
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// ftsQuery writes q in FTS5's query language: each word a quoted string
// (so that no word is taken for an operator) of letters and digits only, joined by OR, or all in one
// quoted string for a phrase.
func ftsQuery(q salvo.TextQuery) string {
	var b strings.Builder
	words := 0
	for _, w := range q.Words {
		// Only letters and digits make words (as for unicode61): the rest,
		// quotes and NUL bytes included, separates them.
		w = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
				return r
			}
			return ' '
		}, w))
		if w == "" {
			continue
		}
		switch {
		case q.Phrase && words == 0:
			b.WriteByte('"')
		case q.Phrase:
			b.WriteByte(' ')
		case words > 0:
			b.WriteString(` OR "`)
		default:
			b.WriteByte('"')
		}
		b.WriteString(w)
		if !q.Phrase {
			b.WriteByte('"')
		}
		words++
	}
	if words == 0 {
		return ""
	}
	if q.Phrase {
		b.WriteByte('"')
	}
	return b.String()
}
