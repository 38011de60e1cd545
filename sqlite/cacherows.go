package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/salvoembed/salvo"
)

// A Put's cache rows go in as multi-row INSERTs of bound parameters: one
// statement for many rows costs less than one each (database/sql's and the
// driver's work per call, then SQLite's per-statement setup).
//
// Such a statement writes many rows, so SQLite keeps a statement journal
// for it (a copy of every page it changes, to undo it half-way) whenever
// something in it may abort the statement: a function call (the CHECKs
// with length() that the cache had up to schema 10), a NOT NULL or
// rowid check under the default ON CONFLICT ABORT, a rowid given as a
// parameter (it must be checked to be an integer). A 64-row insert into
// the cache touches dozens of pages of the key index, so that journal
// cost a Put more than the rows themselves. The inserts below have none of
// these: the table has no CHECKs (a key is a [32]byte and a vector's blob
// is encodeVector of its dims floats, so what they checked holds by
// construction: TestCacheRowsWellFormed), the statement says OR FAIL (a
// failure rolls back the whole Put anyway), and SQLite numbers the rows.
// TestCacheInsertKeepsNoJournal holds the statements to that.
//
// SQLite gives a row it numbers the largest id plus one; the writer's
// transaction is IMMEDIATE, so no other writer can insert in between. When
// every row went in and the largest id grew by their number, the ids are
// those that follow the largest before, in order. A key already cached
// (salvo embed --force, or a key twice in one Put) is left alone by the
// INSERT (ON CONFLICT DO NOTHING); then each key's row is read, and the
// keys cached before, or given earlier in this Put, take replaceCache's
// path.

// cacheTable is the cache as new files get it (schema 11).
const cacheTable = `CREATE TABLE cache (
		id     INTEGER PRIMARY KEY,
		key    BLOB    NOT NULL UNIQUE,
		dims   INTEGER NOT NULL,
		vector BLOB    NOT NULL,
		text   TEXT    NOT NULL DEFAULT ''
	);`

// cacheChecksSchema takes a file to schema 11: the cache's definition
// without its CHECKs, edited in place the way SQLite documents for removing
// CHECK constraints (https://sqlite.org/lang_altertable.html#otheralter):
// no row changes, the rows all meet the CHECKs they had. The table created
// and dropped after it changes the schema's version number, so that every
// connection reads the schema again.
var cacheChecksSchema = `PRAGMA writable_schema = ON;
	UPDATE sqlite_schema SET sql = '` + strings.ReplaceAll(strings.TrimSuffix(cacheTable, ";"), "'", "''") + `'
		WHERE type = 'table' AND name = 'cache';
	PRAGMA writable_schema = RESET;
	CREATE TABLE salvo_schema_11 (x);
	DROP TABLE salvo_schema_11;`

// cacheSizes are the row counts of the prepared cache inserts
// (statements.insertCache), largest first.
var cacheSizes = [...]int{64, 8, 1}

// cacheParams is how many parameters a cache row takes.
const cacheParams = 4

// insertCacheSQL inserts rows cache rows: key, dims, vector, text.
func insertCacheSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR FAIL INTO cache (key, dims, vector, text) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (key) DO NOTHING`)
	return b.String()
}

// putEntries stores entries in the cache in tx and returns the row id of
// each, in order, and whether any replaced a cached vector.
func (s *Store) putEntries(ctx context.Context, tx *sql.Tx, entries []salvo.Entry) (ids []int64, replaced bool, err error) {
	if len(entries) == 0 {
		return nil, false, nil
	}
	lastID := tx.StmtContext(ctx, s.st.lastCacheID)
	var before int64 // the largest id before this Put's rows
	if err := lastID.QueryRowContext(ctx).Scan(&before); err != nil {
		return nil, false, err
	}
	args := make([]any, 0, cacheParams*min(len(entries), cacheSizes[0]))
	var (
		inserted int64
		dims     any = 0 // len(e.Vector), boxed once while it stays the same
		n            = 0
	)
	rest := entries
	for i, size := range cacheSizes {
		if len(rest) < size {
			continue
		}
		st := tx.StmtContext(ctx, s.st.insertCache[i])
		for len(rest) >= size {
			args = args[:0]
			for j := range rest[:size] {
				e := &rest[j] // not a copy: its key's slice would move it to the heap
				if len(e.Vector) != n {
					n, dims = len(e.Vector), len(e.Vector)
				}
				args = append(args, e.Key[:], dims, encodeVector(e.Vector), e.Text)
			}
			res, err := st.ExecContext(ctx, args...)
			if err != nil {
				return nil, false, err
			}
			rows, err := res.RowsAffected()
			if err != nil {
				return nil, false, err
			}
			inserted += rows
			rest = rest[size:]
		}
	}
	ids = make([]int64, len(entries))
	if inserted == int64(len(entries)) {
		var after int64
		if err := lastID.QueryRowContext(ctx).Scan(&after); err != nil {
			return nil, false, err
		}
		if after-before == inserted {
			for i := range ids {
				ids[i] = before + 1 + int64(i)
			}
			return ids, false, nil
		}
	}
	// Some keys were cached (or SQLite numbered the rows otherwise): the
	// row holding each key says which. A row numbered past before was
	// inserted by this Put, for the first entry with its key.
	byKey := tx.StmtContext(ctx, s.st.cacheByKey)
	replace := tx.StmtContext(ctx, s.st.replaceCache)
	mine := make(map[int64]bool, inserted)
	for i, e := range entries {
		var id int64
		var d int
		if err := byKey.QueryRowContext(ctx, e.Key[:]).Scan(&id, &d); err != nil {
			return nil, false, err
		}
		if id > before && !mine[id] {
			ids[i], mine[id] = id, true
			continue
		}
		if err := replace.QueryRowContext(ctx, e.Key[:], len(e.Vector), encodeVector(e.Vector), e.Text).Scan(&id); err != nil {
			return nil, false, err
		}
		ids[i], replaced = id, true
	}
	return ids, replaced, nil
}
