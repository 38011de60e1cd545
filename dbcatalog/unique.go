package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// checkUnique fails with a *NotUniqueError unless the ID column names at
// most one row: a primary key or a unique index of that column alone
// says so at once; otherwise the rows are counted.
func (w *WriteBack) checkUnique(ctx context.Context) error {
	var (
		keyed bool
		err   error
	)
	if w.db.pool != nil {
		keyed, err = w.keyedPostgres(ctx)
	} else {
		keyed, err = w.keyedSQLite(ctx)
	}
	if err != nil {
		return w.dbError(err)
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
		return w.dbError(err)
	}
	return e
}
