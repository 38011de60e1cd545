package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo/internal/f32le"
)

// Target is a write-back column: [schema.]table.column.
type Target struct {
	Schema, Table, Column string
}

// ParseTarget reads TABLE.COLUMN or SCHEMA.TABLE.COLUMN.
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" {
			parts = nil
		}
	}
	switch len(parts) {
	case 2:
		return Target{Table: parts[0], Column: parts[1]}, nil
	case 3:
		return Target{Schema: parts[0], Table: parts[1], Column: parts[2]}, nil
	}
	return Target{}, fmt.Errorf("--write-back %q: write TABLE.COLUMN (or SCHEMA.TABLE.COLUMN), e.g. movies.embedding", s)
}

func (t Target) String() string {
	if t.Schema != "" {
		return t.Schema + "." + t.Table + "." + t.Column
	}
	return t.Table + "." + t.Column
}

// table is the quoted, qualified table name.
func (t Target) table() string {
	q := pgx.Identifier{t.Table}
	if t.Schema != "" {
		q = pgx.Identifier{t.Schema, t.Table}
	}
	return q.Sanitize()
}

// WriteBack writes vectors into a column of the user's table. Create it
// with [DB.WriteBack]; it is safe for use by one writer and one reader
// (Lookup) at a time, as salvo's engine does.
type WriteBack struct {
	db     *DB
	t      Target
	idCol  string
	col    string // quoted column
	idType string // PostgreSQL: the ID column's type, for casts
	oid    uint32 // PostgreSQL: the table's

	kind  string // the column's type: "vector", "real[]", "blob"; "" while it is missing
	dims  int    // the column's dimensions, 0 while unknown
	vecNS string // PostgreSQL: the schema of the vector extension

	// Created is set to the column's type (e.g. "vector(384)") when this
	// write-back created the column.
	Created string
	// Written counts rows whose vector was written; unchanged rows are not.
	Written int
	// Duplicates counts records whose ID had been written already in this
	// run: their vector replaced the earlier one.
	Duplicates int
	// FirstDuplicate is the first such ID.
	FirstDuplicate string

	seen map[string]struct{}
}

// WriteBack prepares to write vectors into target ([schema.]table.column),
// keyed by the table's idColumn. It fails, writing nothing, when the table
// or the ID column does not exist, the ID column is not unique in the
// table (a *[NotUniqueError]), or the column holds something other than
// vectors. dims, when known (the collection's), is checked against
// the column now; otherwise at the first write.
func (db *DB) WriteBack(ctx context.Context, target, idColumn string, dims int) (*WriteBack, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	w := &WriteBack{db: db, t: t, idCol: idColumn, col: pgx.Identifier{t.Column}.Sanitize(), seen: map[string]struct{}{}}
	if db.pool != nil {
		err = w.inspectPostgres(ctx)
	} else {
		err = w.inspectSQLite(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := w.checkUnique(ctx); err != nil {
		return nil, err
	}
	if err := w.CheckDims(dims); err != nil {
		return nil, err
	}
	if w.kind == "" {
		db.hold = true // see Rows: the reader must not block the ALTER TABLE
	}
	return w, nil
}

// Target is where vectors are written.
func (w *WriteBack) Target() Target { return w.t }

func (w *WriteBack) noTable() error {
	return fmt.Errorf("--write-back %s: table %s does not exist in %s: create it, or name another table", w.t, w.t.Table, w.db.where)
}

func (w *WriteBack) noIDColumn(cols []string) error {
	return fmt.Errorf("--write-back %s: table %s has no ID column %q (its columns: %s): name it with --id", w.t, w.t.Table, w.idCol, strings.Join(cols, ", "))
}

func (w *WriteBack) wrongType(have string) error {
	want := "vector(N) or real[]"
	if w.db.lite != nil {
		want = "BLOB"
	}
	return fmt.Errorf("--write-back %s: column %s is %s, not %s: choose another column (salvo creates a missing one), or drop this one", w.t, w.t.Column, have, want)
}

// CheckDims fails when the column holds vectors of other dimensions than
// dims (0: not known yet).
func (w *WriteBack) CheckDims(dims int) error {
	if dims == 0 {
		return nil
	}
	if w.dims != 0 && w.dims != dims {
		return fmt.Errorf("--write-back %s: column %s holds %d-dimensional vectors, the model gives %d: choose another column, or clear this one", w.t, w.t.Column, w.dims, dims)
	}
	return nil
}

func (w *WriteBack) inspectPostgres(ctx context.Context) error {
	var oid *uint32
	if err := w.db.pool.QueryRow(ctx, "SELECT to_regclass($1)::oid", w.t.table()).Scan(&oid); err != nil {
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	if oid == nil {
		return w.noTable()
	}
	w.oid = *oid
	rows, err := w.db.pool.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.atttypmod
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, *oid)
	if err != nil {
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	var (
		cols                  []string
		name, format, typname string
		typmod                int32
		colType, colTypname   string
		colTypmod             int32
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &format, &typname, &typmod}, func() error {
		cols = append(cols, name)
		switch name {
		case w.idCol:
			w.idType = format
		case w.t.Column:
			colType, colTypname, colTypmod = format, typname, typmod
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	if w.idType == "" {
		return w.noIDColumn(cols)
	}
	w.vecNS = w.db.srv.VectorSchema
	switch colTypname {
	case "":
		return nil // created at the first write
	case "vector":
		w.kind = "vector"
		if colTypmod > 0 {
			w.dims = int(colTypmod)
			return nil
		}
		return w.sampleDims(ctx, fmt.Sprintf("%s.vector_dims(%s)", pgx.Identifier{w.vecNS}.Sanitize(), w.col))
	case "_float4":
		w.kind = "real[]"
		return w.sampleDims(ctx, fmt.Sprintf("array_length(%s, 1)", w.col))
	}
	return w.wrongType(colType)
}

// sampleDims reads the dimensions of a vector already in the column.
func (w *WriteBack) sampleDims(ctx context.Context, expr string) error {
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL LIMIT 1", expr, w.t.table(), w.col)
	var err error
	var n *int
	if w.db.pool != nil {
		err = w.db.pool.QueryRow(ctx, q).Scan(&n)
	} else {
		err = w.db.lite.QueryRowContext(ctx, q).Scan(&n)
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	if n != nil {
		w.dims = *n
		if w.kind == "blob" {
			if w.dims%4 != 0 {
				return fmt.Errorf("--write-back %s: column %s holds blobs of %d bytes, not float32 vectors: choose another column", w.t, w.t.Column, w.dims)
			}
			w.dims /= 4
		}
	}
	return nil
}

func (w *WriteBack) inspectSQLite(ctx context.Context) error {
	if w.t.Schema != "" && w.t.Schema != "main" {
		return fmt.Errorf("--write-back %s: a SQLite table is written as TABLE.COLUMN", w.t)
	}
	rows, err := w.db.lite.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?)", w.t.Table)
	if err != nil {
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	defer rows.Close()
	var cols []string
	idFound, colType := false, "-"
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
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
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
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
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	if nonBlob > 0 {
		return w.wrongType("a column holding values other than blobs")
	}
	return w.sampleDims(ctx, "length("+w.col+")")
}

// Write writes vectors[i] into the row of ids[i], in one transaction,
// where the column does not hold it already. The first write creates the
// column when it is missing, and checks its dimensions; nothing is written
// when they differ. An ID written already in this run is written again
// (a later record of the ID replaced it, as --on-duplicate last does) and
// counted in Duplicates; of an ID given twice in one call, the last vector
// is written.
func (w *WriteBack) Write(ctx context.Context, ids []string, vectors [][]float32) error {
	if len(ids) == 0 {
		return nil
	}
	last := make(map[string]int, len(ids))
	for i, id := range ids {
		last[id] = i
	}
	keepIDs, keepVecs := ids[:0:0], vectors[:0:0]
	for i, id := range ids {
		if last[id] != i {
			continue
		}
		if _, again := w.seen[id]; again {
			if w.Duplicates == 0 {
				w.FirstDuplicate = id
			}
			w.Duplicates++
		}
		keepIDs, keepVecs = append(keepIDs, id), append(keepVecs, vectors[i])
	}
	dims := len(keepVecs[0])
	if err := w.CheckDims(dims); err != nil {
		return err
	}
	var (
		n       int
		created string
		err     error
	)
	if w.db.pool != nil {
		n, created, err = w.writePostgres(ctx, keepIDs, keepVecs, dims)
	} else {
		n, created, err = w.writeSQLite(ctx, keepIDs, keepVecs, dims)
	}
	if err != nil {
		return fmt.Errorf("--write-back %s in %s: %w", w.t, w.db.where, err)
	}
	for _, id := range keepIDs {
		w.seen[id] = struct{}{}
	}
	w.Written += n
	if created != "" {
		w.Created = created
	}
	w.dims = dims
	return nil
}

func (w *WriteBack) writePostgres(ctx context.Context, ids []string, vectors [][]float32, dims int) (n int, created string, err error) {
	tx, err := w.db.pool.Begin(ctx)
	if err != nil {
		return 0, "", err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	kind := w.kind
	if kind == "" {
		kind, created, err = w.createPostgres(ctx, tx, dims)
		if err != nil {
			return 0, "", err
		}
	}
	typ := "real[]"
	if kind == "vector" {
		typ = fmt.Sprintf("%s.vector(%d)", pgx.Identifier{w.vecNS}.Sanitize(), dims)
	}
	texts := make([]string, len(vectors))
	for i, v := range vectors {
		texts[i] = vectorText(v, kind == "vector")
	}
	q := fmt.Sprintf(`UPDATE %s AS t SET %s = v.vec::%s FROM unnest($1::text[], $2::text[]) AS v (id, vec)
		WHERE t.%s = v.id::%s AND t.%s IS DISTINCT FROM v.vec::%s`,
		w.t.table(), w.col, typ, pgx.Identifier{w.idCol}.Sanitize(), w.idType, w.col, typ)
	tag, err := tx.Exec(ctx, q, ids, texts)
	if err != nil {
		return 0, "", err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, "", err
	}
	w.kind = kind
	return int(tag.RowsAffected()), created, nil
}

// createPostgres adds the column, in the write's transaction: vector(N)
// when pgvector is installed or can be, else real[].
func (w *WriteBack) createPostgres(ctx context.Context, tx pgx.Tx, dims int) (kind, typ string, err error) {
	if w.vecNS == "" && w.db.srv.PgvectorAvailable {
		// A savepoint: without the privilege to install it, go on
		// without pgvector.
		if _, err := tx.Exec(ctx, "SAVEPOINT salvo_ext"); err != nil {
			return "", "", err
		}
		if _, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT salvo_ext"); err != nil {
				return "", "", err
			}
		} else if err := tx.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'`).Scan(&w.vecNS); err != nil {
			return "", "", err
		}
	}
	kind, typ, sqlType := "real[]", "real[]", "real[]"
	if w.vecNS != "" {
		kind, typ = "vector", fmt.Sprintf("vector(%d)", dims)
		sqlType = fmt.Sprintf("%s.vector(%d)", pgx.Identifier{w.vecNS}.Sanitize(), dims)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", w.t.table(), w.col, sqlType)); err != nil {
		return "", "", err
	}
	return kind, typ, nil
}

// vectorText is v as PostgreSQL reads a vector ("[1,2]") or a real[]
// ("{1,2}"), each float spelt so that it reads back to the same bits.
func vectorText(v []float32, vector bool) string {
	open, close := byte('{'), byte('}')
	if vector {
		open, close = '[', ']'
	}
	b := make([]byte, 0, 2+len(v)*12)
	b = append(b, open)
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return string(append(b, close))
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

// differing returns the IDs, of those given, whose row exists and does
// not hold vectors[i] (NULL or another vector; every existing row while
// the column is missing).
func (w *WriteBack) differing(ctx context.Context, ids []string, vectors [][]float32) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	idCol := pgx.Identifier{w.idCol}.Sanitize()
	if w.db.pool != nil {
		q := fmt.Sprintf("SELECT v.id FROM unnest($1::text[]) AS v (id) JOIN %s AS t ON t.%s = v.id::%s", w.t.table(), idCol, w.idType)
		args := []any{ids}
		if w.kind != "" {
			typ := "real[]"
			if w.kind == "vector" {
				typ = pgx.Identifier{w.vecNS}.Sanitize() + ".vector"
			}
			texts := make([]string, len(vectors))
			for i, v := range vectors {
				texts[i] = vectorText(v, w.kind == "vector")
			}
			q = fmt.Sprintf("SELECT v.id FROM unnest($1::text[], $2::text[]) AS v (id, vec) JOIN %s AS t ON t.%s = v.id::%s WHERE t.%s IS DISTINCT FROM v.vec::%s",
				w.t.table(), idCol, w.idType, w.col, typ)
			args = append(args, texts)
		}
		rows, err := w.db.pool.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("write-back %s in %s: %w", w.t, w.db.where, err)
		}
		var id string
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error { out[id] = true; return nil })
		if err != nil {
			return nil, fmt.Errorf("write-back %s in %s: %w", w.t, w.db.where, err)
		}
		return out, nil
	}
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s = ?1", w.t.table(), idCol)
	if w.kind != "" {
		q += " AND " + w.col + " IS NOT ?2"
	}
	stmt, err := w.db.lite.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("write-back %s in %s: %w", w.t, w.db.where, err)
	}
	defer stmt.Close()
	for i, id := range ids {
		args := []any{id}
		if w.kind != "" {
			args = append(args, append([]byte(nil), f32le.Bytes(vectors[i])...))
		}
		var n int
		if err := stmt.QueryRowContext(ctx, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("write-back %s in %s: %w", w.t, w.db.where, err)
		}
		if n > 0 {
			out[id] = true
		}
	}
	return out, nil
}
