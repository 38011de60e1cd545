package dbcatalog

import (
	"context"
	"fmt"
	"strings"
)

// quoteColumn quotes a column name for PostgreSQL and SQLite alike.
func quoteColumn(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Bounds splits the rows of query into ranges of size rows by their
// integer idColumn, and returns the first ID of each range, in order: the
// range i holds the IDs from bounds[i] up to bounds[i+1] (excluded), the
// last one every ID from its bound up. A query without rows has none.
// Rows whose ID is NULL are in no range (see [NullQuery]); the rows of
// one ID are always in one range, however many there are.
func (db *DB) Bounds(ctx context.Context, query, idColumn string, size int) ([]int64, error) {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	id := quoteColumn(idColumn)
	notInteger := &NotIntegerIDError{Column: idColumn}
	if db.lite != nil {
		var bad int
		if err := db.lite.QueryRowContext(ctx, "SELECT count(*) FROM ("+query+") AS q WHERE "+id+" IS NOT NULL AND typeof("+id+") <> 'integer'").Scan(&bad); err != nil {
			return nil, db.queryError(query, 0, err)
		}
		if bad > 0 {
			return nil, notInteger
		}
	}
	// Buckets of size rows; a bucket that starts inside the rows of the
	// ID before it (an ID on more rows than size) adds no bound.
	sql := fmt.Sprintf(`SELECT DISTINCT min(i) FROM (SELECT CAST(%s AS bigint) AS i, (row_number() OVER (ORDER BY %s) - 1) / %d AS b FROM (%s) AS q WHERE %s IS NOT NULL) AS t GROUP BY b ORDER BY 1`,
		id, id, size, query, id)
	if db.pool != nil {
		var typ string
		if err := db.pool.QueryRow(ctx, "SELECT pg_typeof("+id+")::text FROM ("+query+") AS q LIMIT 1").Scan(&typ); err == nil &&
			typ != "integer" && typ != "bigint" && typ != "smallint" {
			return nil, notInteger
		}
		rows, err := db.pool.Query(ctx, sql)
		if err != nil {
			return nil, db.queryError(query, 0, err)
		}
		defer rows.Close()
		return collectInts(rows)
	}
	rows, err := db.lite.QueryContext(ctx, sql)
	if err != nil {
		return nil, db.queryError(query, 0, err)
	}
	defer rows.Close()
	return collectInts(rows)
}

// NullIDs counts the rows of query whose idColumn is NULL: rows that no
// range of [DB.Bounds] holds, and that [NullQuery] reads.
func (db *DB) NullIDs(ctx context.Context, query, idColumn string) (int64, error) {
	sql := "SELECT count(*) FROM (" + strings.TrimRight(strings.TrimSpace(query), ";") + ") AS q WHERE " + quoteColumn(idColumn) + " IS NULL"
	var n int64
	var err error
	if db.pool != nil {
		err = db.pool.QueryRow(ctx, sql).Scan(&n)
	} else {
		err = db.lite.QueryRowContext(ctx, sql).Scan(&n)
	}
	if err != nil {
		return 0, db.queryError(query, 0, err)
	}
	return n, nil
}

// NullQuery is query restricted to the rows whose idColumn is NULL.
func NullQuery(query, idColumn string) string {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	return "SELECT * FROM (" + query + ") AS salvo_range WHERE " + quoteColumn(idColumn) + " IS NULL"
}

// collectInts reads the one integer column of rows, pgx's or database/sql's.
func collectInts(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]int64, error) {
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// RangeQuery is query restricted to the rows whose integer idColumn is in
// [from, to); to <= from means no upper bound.
func RangeQuery(query, idColumn string, from, to int64) string {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	id := quoteColumn(idColumn)
	where := fmt.Sprintf("%s >= %d", id, from)
	if to > from {
		where += fmt.Sprintf(" AND %s < %d", id, to)
	}
	return "SELECT * FROM (" + query + ") AS salvo_range WHERE " + where
}
