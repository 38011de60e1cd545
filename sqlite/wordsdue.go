package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/salvoembed/salvo"
	textchunk "github.com/salvoembed/salvo/chunk"
)

var _ salvo.WordsIndexer = (*Store)(nil)

// wordsDueSchema is schema step 9: the words index is brought up to date
// when it is searched, not when items are stored. Tokenising each text
// and merging FTS5's segments cost about 35 µs an item, a third of what a
// salvo embed spent on an instant server, and a collection searched only
// by meaning never needs it.
//
// The triggers now only append to words_due (in the order they were
// stored, which is the order their words get rows in, and so the order
// ties are ranked in) the items inserted or changed: one row at the end of
// a table with no other index, a few µs. IndexWords indexes the items
// noted that still exist, once each, and empties the table, in one
// transaction. A deleted item still leaves the index with it, in its own
// transaction.
const wordsDueSchema = wordsDueTable + `
	DROP TRIGGER items_words_insert;
	DROP TRIGGER items_words_update;
	DROP TRIGGER items_words_delete;
	` + wordsDueTriggers

// wordsDueTable lists the items whose words are to be indexed.
const wordsDueTable = `CREATE TABLE words_due (
		id            INTEGER PRIMARY KEY,
		collection_id INTEGER NOT NULL,
		item_id       TEXT    NOT NULL
	);`

// wordsDueTriggers note in words_due the items inserted or changed, and
// take deleted ones out of the index.
const wordsDueTriggers = `CREATE TRIGGER items_words_insert AFTER INSERT ON items BEGIN
		` + markDueSQL + `
	END;
	CREATE TRIGGER items_words_update AFTER UPDATE OF cache_id, fields ON items BEGIN
		` + markDueSQL + `
	END;
	CREATE TRIGGER items_words_delete AFTER DELETE ON items BEGIN
		DELETE FROM item_words_fts WHERE rowid =
			(SELECT id FROM item_words WHERE collection_id = old.collection_id AND item_id = old.id);
		DELETE FROM item_words WHERE collection_id = old.collection_id AND item_id = old.id;
	END;`

// markDueSQL notes that the item new needs its words indexed.
const markDueSQL = `INSERT INTO words_due (collection_id, item_id) VALUES (new.collection_id, new.id);`

// dueSQL is the items noted in words_due that still exist, once each, with
// the place of their first note.
const dueSQL = `SELECT d.collection_id, d.item_id, min(d.id) AS seq FROM words_due AS d
	JOIN items AS i ON i.collection_id = d.collection_id AND i.id = d.item_id
	GROUP BY d.collection_id, d.item_id`

// markPiecesDue notes the records of pieces as needing their words
// indexed: a record's whole text is its pieces', and a piece can change
// without its record's row changing.
func markPiecesDue(ctx context.Context, tx *sql.Tx, cid int64, pieces []salvo.Item) error {
	if len(pieces) == 0 {
		return nil
	}
	mark, err := tx.PrepareContext(ctx, `INSERT INTO words_due (collection_id, item_id) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer mark.Close()
	done := map[string]bool{}
	for _, p := range pieces {
		if done[p.ID] {
			continue
		}
		done[p.ID] = true
		if _, err := mark.ExecContext(ctx, cid, p.ID); err != nil {
			return fmt.Errorf("note the words of item %q: %w", p.ID, err)
		}
	}
	return nil
}

// WordsDue returns how many items were stored or changed since the words
// index was last brought up to date: what the next IndexWords (or
// TextSearch) indexes.
func (s *Store) WordsDue(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (`+dueSQL+`)`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the items to index by words in %s: %w", s.path, err)
	}
	return n, nil
}

// IndexWords brings the words index up to date: it indexes the items
// stored or changed since it was last brought up to date, in one
// transaction, and returns how many. TextSearch calls it first, so a
// caller need not; it is there to do the work at a time of the caller's
// choosing (salvo serve as it starts) and to hear of a failure.
//
// This is the one write a store opened with [OpenReadOnly] makes, through
// a connection of its own, opened for that and closed after: the index is
// derived from the items, and a search by words needs it. When the file
// cannot be written (a *[NotWritableError]) nothing is indexed, and
// TextSearch searches the index as it stands.
func (s *Store) IndexWords(ctx context.Context) (int, error) {
	s.wordsMu.Lock()
	defer s.wordsMu.Unlock()
	n, err := s.indexWords(ctx)
	s.wordsFailed = time.Time{}
	if err != nil {
		s.wordsFailed = time.Now()
	}
	return n, err
}

// indexWordsDue is TextSearch's IndexWords: after a failure it lets
// wordsBackoff pass before it tries again, so that searches under another
// process's long write do not each wait wordsBusy.
func (s *Store) indexWordsDue(ctx context.Context) {
	s.wordsMu.Lock()
	failed := s.wordsFailed
	s.wordsMu.Unlock()
	if failed.IsZero() || time.Since(failed) >= wordsBackoff {
		s.IndexWords(ctx) //nolint:errcheck // the index as it stands is searched
	}
}

func (s *Store) indexWords(ctx context.Context) (int, error) {
	var due bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM words_due)`).Scan(&due); err != nil {
		return 0, fmt.Errorf("index the words of %s: %w", s.path, err)
	}
	if !due {
		return 0, nil
	}
	db := s.w
	if s.immutable {
		return 0, &NotWritableError{Path: s.path, Err: ErrReadOnlyFS}
	}
	if s.readOnly {
		w, err := sql.Open("sqlite", s.uri+"?"+fmt.Sprintf("_pragma=busy_timeout(%d)", wordsBusy.Milliseconds())+"&_pragma=temp_store(2)&_txlock=immediate")
		if err != nil {
			return 0, fmt.Errorf("index the words of %s: %w", s.path, err)
		}
		defer w.Close()
		w.SetMaxOpenConns(1)
		db = w
	}
	n, err := indexDueWords(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("index the words of the records stored in %s since its last search by words: %w", s.path, s.explain(err))
	}
	return n, nil
}

// wordsBusy is how long a read-only store's IndexWords waits for another
// process's write (salvo embed's) before it gives up, and the search
// ranks by the index as it stands: a search should not wait as long as a
// run would.
var wordsBusy = time.Second

// wordsBackoff is how long TextSearch leaves the words index as it stands
// after IndexWords failed.
const wordsBackoff = 5 * time.Second

// indexDueSQL indexes the due items (temp.due, from dueSQL) stored whole:
// each gets the row of item_words it had, or a new one, and its text and
// kept words (the records cut into pieces are indexPieceWords's).
var indexDueSQL = []string{
	`DELETE FROM item_words_fts WHERE rowid IN (SELECT w.id FROM temp.due AS d
		JOIN item_words AS w ON w.collection_id = d.collection_id AND w.item_id = d.item_id)`,
	`INSERT INTO item_words (collection_id, item_id) SELECT d.collection_id, d.item_id FROM temp.due AS d
		WHERE NOT EXISTS (SELECT 1 FROM item_words AS w WHERE w.collection_id = d.collection_id AND w.item_id = d.item_id)
		ORDER BY d.seq`,
	`INSERT INTO item_words_fts (rowid, text, fields)
		SELECT w.id, c.text, ` + keptWords("i.fields", "c.text") + `
		FROM temp.due AS d
		JOIN item_words AS w ON w.collection_id = d.collection_id AND w.item_id = d.item_id
		JOIN items AS i ON i.collection_id = d.collection_id AND i.id = d.item_id
		JOIN cache AS c ON c.id = i.cache_id
		WHERE NOT EXISTS (SELECT 1 FROM chunks AS k WHERE k.collection_id = d.collection_id AND k.id = d.item_id)
		ORDER BY d.seq`,
}

// indexDueWords indexes the words of the due items on db, in one
// transaction, and returns how many there were.
func indexDueWords(ctx context.Context, db *sql.DB) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE due AS `+dueSQL); err != nil {
		return 0, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM temp.due`).Scan(&n); err != nil {
		return 0, err
	}
	for _, q := range indexDueSQL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	if err := indexPieceWords(ctx, tx); err != nil {
		return 0, err
	}
	for _, q := range []string{`DROP TABLE temp.due`, `DELETE FROM words_due`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}

// indexPieceWords gives the words index of each due record cut into
// pieces its whole text, its pieces' texts joined.
func indexPieceWords(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT d.collection_id, d.item_id FROM temp.due AS d
		WHERE EXISTS (SELECT 1 FROM chunks AS k WHERE k.collection_id = d.collection_id AND k.id = d.item_id)
		ORDER BY d.seq`)
	if err != nil {
		return err
	}
	type record struct {
		cid int64
		id  string
	}
	var records []record
	for rows.Next() {
		var r record
		if err := rows.Scan(&r.cid, &r.id); err != nil {
			rows.Close()
			return err
		}
		records = append(records, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(records) == 0 {
		return err
	}
	read, err := tx.PrepareContext(ctx, `SELECT k.start, k."end", c.text FROM chunks AS k JOIN cache AS c ON c.id = k.cache_id
		WHERE k.collection_id = ?1 AND k.id = ?2 ORDER BY k.chunk`)
	if err != nil {
		return err
	}
	defer read.Close()
	index, err := tx.PrepareContext(ctx, `INSERT INTO item_words_fts (rowid, text, fields)
		SELECT w.id, ?3, `+keptWords("i.fields", "?3")+`
		FROM item_words AS w JOIN items AS i ON i.collection_id = w.collection_id AND i.id = w.item_id
		WHERE w.collection_id = ?1 AND w.item_id = ?2`)
	if err != nil {
		return err
	}
	defer index.Close()
	for _, r := range records {
		rows, err := read.QueryContext(ctx, r.cid, r.id)
		if err != nil {
			return err
		}
		var (
			ps    []textchunk.Piece
			texts []string
		)
		for rows.Next() {
			var (
				c    textchunk.Piece
				text sql.NullString
			)
			if err := rows.Scan(&c.Start, &c.End, &text); err != nil {
				rows.Close()
				return err
			}
			ps, texts = append(ps, c), append(texts, text.String)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := index.ExecContext(ctx, r.cid, r.id, textchunk.Join(ps, texts)); err != nil {
			return fmt.Errorf("index the words of item %q: %w", r.id, err)
		}
	}
	return nil
}
