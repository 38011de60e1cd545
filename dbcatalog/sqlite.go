package dbcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo/internal/base/f32le"
)

// startSQLite runs the query once, into a temporary table of the
// connection (in SQLite's temporary storage, not in the user's file): the
// result is a snapshot, which the write-back's changes to the tables it
// read cannot shift, and no read transaction stays open between pages.
func (r *Rows) startSQLite() error {
	r.snap = fmt.Sprintf("temp.salvo_rows_%d", snapshots.Add(1))
	if _, err := r.db.lite.ExecContext(r.ctx, fmt.Sprintf("CREATE TEMP TABLE %s AS SELECT * FROM (%s)", r.snap, r.query)); err != nil {
		r.snap = ""
		return r.queryError(err)
	}
	rows, err := r.db.lite.QueryContext(r.ctx, "SELECT * FROM "+r.snap+" LIMIT 0")
	if err != nil {
		return r.queryError(err)
	}
	r.columns, err = rows.Columns()
	rows.Close()
	if err != nil {
		return r.queryError(err)
	}
	// Pages follow the snapshot's rowid, under a name no column took.
	used := map[string]bool{}
	for _, c := range r.columns {
		used[strings.ToLower(c)] = true
	}
	for _, k := range []string{"rowid", "_rowid_", "oid"} {
		if !used[k] {
			r.key = k
			break
		}
	}
	return r.fetchSQLite()
}

// snapshots numbers the temporary tables of SQLite queries.
var snapshots atomic.Int64

// fetchSQLite reads the snapshot's next page: by rowid after the last one
// read, or by offset when the query's columns took every name of rowid.
func (r *Rows) fetchSQLite() error {
	q := fmt.Sprintf("SELECT * FROM %s LIMIT %d OFFSET %d", r.snap, PageSize, r.row)
	if r.key != "" {
		q = fmt.Sprintf("SELECT %[1]s, * FROM %[2]s WHERE %[1]s > %[3]d ORDER BY %[1]s LIMIT %[4]d", r.key, r.snap, r.lastKey, PageSize)
	}
	rows, err := r.db.lite.QueryContext(r.ctx, q)
	if err != nil {
		return r.queryError(err)
	}
	defer rows.Close()
	r.page, r.errs, r.next = r.page[:0], r.errs[:0], 0
	n := len(r.columns)
	vals := make([]any, n+1)
	ptrs := make([]any, n+1)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if r.key == "" {
		vals, ptrs = vals[1:], ptrs[1:]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return r.queryError(err)
		}
		if r.key != "" {
			r.lastKey, _ = vals[0].(int64)
			r.add(vals[1:], nil)
		} else {
			r.add(vals, nil)
		}
	}
	if err := rows.Err(); err != nil {
		return r.queryError(err)
	}
	if len(r.page) < PageSize {
		r.done = true
	}
	return nil
}

func (w *WriteBack) inspectSQLite(ctx context.Context) error {
	if w.t.Schema != "" && w.t.Schema != "main" {
		return &TargetError{Target: w.t.String(), DB: w.db.where, Reason: "a SQLite table has no schema: write TABLE.COLUMN"}
	}
	rows, err := w.db.lite.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?)", w.t.Table)
	if err != nil {
		return w.dbError(err)
	}
	defer rows.Close()
	var cols []string
	idFound, colType := false, "-"
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return w.dbError(err)
		}
		cols = append(cols, name)
		switch name {
		case w.idCol:
			idFound = true
		case w.t.Column:
			colType = typ
		}
	}
	if err := rows.Err(); err != nil {
		return w.dbError(err)
	}
	rows.Close()
	switch {
	case len(cols) == 0:
		return w.noTable()
	case !idFound:
		return w.noIDColumn(cols)
	case colType == "-":
		return nil // created at the first write
	case colType != "" && !strings.EqualFold(colType, "BLOB"):
		return w.wrongType(colType)
	}
	w.kind = "blob"
	var nonBlob int
	q := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s IS NOT NULL AND typeof(%s) <> 'blob' LIMIT 1)", w.t.table(), w.col, w.col)
	if err := w.db.lite.QueryRowContext(ctx, q).Scan(&nonBlob); err != nil {
		return w.dbError(err)
	}
	if nonBlob > 0 {
		return w.wrongType("a column holding values other than blobs")
	}
	return w.sampleDims(ctx, "length("+w.col+")")
}

func (w *WriteBack) writeSQLite(ctx context.Context, ids []string, vectors [][]float32, dims int) (n int, created string, err error) {
	tx, err := w.db.lite.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", err
	}
	defer tx.Rollback()
	if w.kind == "" {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s BLOB", w.t.table(), w.col)); err != nil {
			return 0, "", err
		}
		created = "BLOB"
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("UPDATE %s SET %s = ?1 WHERE %s = ?2 AND %s IS NOT ?1",
		w.t.table(), w.col, pgx.Identifier{w.idCol}.Sanitize(), w.col))
	if err != nil {
		return 0, "", err
	}
	defer stmt.Close()
	for i, id := range ids {
		// A copy: the driver may keep the blob until the statement resets.
		res, err := stmt.ExecContext(ctx, append([]byte(nil), f32le.Bytes(vectors[i])...), id)
		if err != nil {
			return 0, "", err
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	if err := tx.Commit(); err != nil {
		return 0, "", err
	}
	w.kind = "blob"
	return n, created, nil
}

// differingSQLite is differing, one ID at a time.
func (w *WriteBack) differingSQLite(ctx context.Context, ids []string, vectors [][]float32, out map[string]bool) error {
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = ?1", w.t.table(), pgx.Identifier{w.idCol}.Sanitize())
	if w.kind != "" {
		q += " AND " + w.col + " IS NOT ?2"
	}
	stmt, err := w.db.lite.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, id := range ids {
		args := []any{id}
		if w.kind != "" {
			args = append(args, append([]byte(nil), f32le.Bytes(vectors[i])...))
		}
		var n int
		if err := stmt.QueryRowContext(ctx, args...).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			out[id] = true
		}
	}
	return nil
}

// keyedSQLite reports whether the table's primary key is the ID column
// alone, or a unique index (not partial) of that column alone.
func (w *WriteBack) keyedSQLite(ctx context.Context) (keyed bool, err error) {
	err = w.db.lite.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1 AND (SELECT name FROM pragma_table_info(?1) WHERE pk > 0) = ?2
		OR EXISTS (SELECT 1 FROM pragma_index_list(?1) AS l WHERE l."unique" AND NOT l.partial
			AND (SELECT count(*) FROM pragma_index_info(l.name)) = 1 AND (SELECT name FROM pragma_index_info(l.name)) = ?2)`,
		w.t.Table, w.idCol).Scan(&keyed)
	return keyed, err
}

// openSQLite opens the SQLite file dsn names (see [SQLitePath]).
func openSQLite(ctx context.Context, dsn string) (*DB, error) {
	path, err := SQLitePath(dsn)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return nil, notSQLite(dsn, path, "no such SQLite file", nil)
	}
	uri, err := fileURI(path)
	if err != nil {
		return nil, notSQLite(dsn, path, "cannot resolve the path", err)
	}
	lite, err := sql.Open("sqlite", uri+fmt.Sprintf("?_pragma=busy_timeout(%d)", (10*time.Second).Milliseconds()))
	if err != nil {
		return nil, notSQLite(dsn, path, "cannot open", err)
	}
	// One connection: the reader's pages and the write-back take turns, so
	// they never wait for each other's locks.
	lite.SetMaxOpenConns(1)
	if err := lite.PingContext(ctx); err != nil {
		lite.Close()
		return nil, notSQLite(dsn, path, "cannot open", err)
	}
	var n int
	if err := lite.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		lite.Close()
		return nil, notSQLite(dsn, path, "not a SQLite database", err)
	}
	return &DB{where: path, lite: lite}, nil
}
