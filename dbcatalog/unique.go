package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NotUniqueError is a write-back whose ID column does not name one row:
// writing by it would put one record's vector into another record's row.
type NotUniqueError struct {
	Target   Target
	IDColumn string
	Value    string // an ID that more than one row holds
	Rows     int64  // how many rows hold it
	DB       string // the database, for messages
}

func (e *NotUniqueError) Error() string {
	return fmt.Sprintf("table %s in %s: column %q is not unique (%d rows hold %q), so it cannot key the write-back to %s",
		e.Target.Table, e.DB, e.IDColumn, e.Rows, e.Value, e.Target)
}

// checkUnique fails with a *NotUniqueError unless the ID column names at
// most one row: a primary key or a unique index of that column alone
// says so at once; otherwise the rows are counted.
func (w *WriteBack) checkUnique(ctx context.Context) error {
	var (
		keyed bool
		err   error
	)
	if w.db.pool != nil {
		err = w.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = $1 AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = $2)`,
			w.oid, w.idCol).Scan(&keyed)
	} else {
		err = w.db.lite.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1 AND (SELECT name FROM pragma_table_info(?1) WHERE pk > 0) = ?2
			OR EXISTS (SELECT 1 FROM pragma_index_list(?1) AS l WHERE l."unique" AND NOT l.partial
				AND (SELECT count(*) FROM pragma_index_info(l.name)) = 1 AND (SELECT name FROM pragma_index_info(l.name)) = ?2)`,
			w.t.Table, w.idCol).Scan(&keyed)
	}
	if err != nil {
		return fmt.Errorf("write-back %s in %s: %w", w.t, w.db.where, err)
	}
	if keyed {
		return nil
	}
	id := pgx.Identifier{w.idCol}.Sanitize()
	text := "CAST(" + id + " AS TEXT)"
	q := fmt.Sprintf("SELECT %s, count(*) FROM %s WHERE %s IS NOT NULL GROUP BY %s HAVING count(*) > 1 LIMIT 1", text, w.t.table(), id, id)
	e := &NotUniqueError{Target: w.t, IDColumn: w.idCol, DB: w.db.where}
	if w.db.pool != nil {
		err = w.db.pool.QueryRow(ctx, q).Scan(&e.Value, &e.Rows)
	} else {
		err = w.db.lite.QueryRowContext(ctx, q).Scan(&e.Value, &e.Rows)
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("write-back %s in %s: %w", w.t, w.db.where, err)
	}
	return e
}
