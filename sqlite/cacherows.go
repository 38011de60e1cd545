package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/salvoembed/salvo"
)

// A Put's cache rows go in as multi-row INSERTs of bound parameters, the
// row ids chosen here: one statement for many rows costs less than one
// each (database/sql's and the driver's work per call, then SQLite's
// per-statement setup), and ids chosen in advance spare reading them back.
// The writer's transaction is IMMEDIATE, so no other writer can take an id
// between reading the largest and inserting.
//
// A key already cached (salvo embed --force, or a key twice in one Put) is
// left alone by the INSERT (ON CONFLICT DO NOTHING); those entries are
// found afterwards, and take replaceCache's path, as one statement per
// entry did.

// cacheSizes are the row counts of the prepared cache inserts
// (statements.insertCache), largest first.
var cacheSizes = [...]int{64, 8, 1}

// cacheParams is how many parameters a cache row takes.
const cacheParams = 5

// insertCacheSQL inserts rows cache rows: id, key, dims, vector, text.
func insertCacheSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO cache (id, key, dims, vector, text) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?)")
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
	var last int64
	if err := tx.StmtContext(ctx, s.st.lastCacheID).QueryRowContext(ctx).Scan(&last); err != nil {
		return nil, false, err
	}
	ids = make([]int64, len(entries))
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
			done := len(entries) - len(rest)
			for j := range rest[:size] {
				e := &rest[j] // not a copy: its key's slice would move it to the heap
				last++
				ids[done+j] = last
				if len(e.Vector) != n {
					n, dims = len(e.Vector), len(e.Vector)
				}
				args = append(args, last, e.Key[:], dims, encodeVector(e.Vector), e.Text)
			}
			res, err := st.ExecContext(ctx, args...)
			if err != nil {
				return nil, false, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, false, err
			}
			inserted += n
			rest = rest[size:]
		}
	}
	if inserted == int64(len(entries)) {
		return ids, false, nil
	}
	// Some keys were cached: the row holding each key says which.
	byKey := tx.StmtContext(ctx, s.st.cacheByKey)
	replace := tx.StmtContext(ctx, s.st.replaceCache)
	for i, e := range entries {
		var id int64
		var d int
		if err := byKey.QueryRowContext(ctx, e.Key[:]).Scan(&id, &d); err != nil {
			return nil, false, err
		}
		if id == ids[i] {
			continue // inserted
		}
		if err := replace.QueryRowContext(ctx, e.Key[:], len(e.Vector), encodeVector(e.Vector), e.Text).Scan(&id); err != nil {
			return nil, false, err
		}
		ids[i], replaced = id, true
	}
	return ids, replaced, nil
}
