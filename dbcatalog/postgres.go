package dbcatalog

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/salvoembed/salvo"
)

func (r *Rows) startPostgres() error {
	ctx := r.ctx
	if r.db.srv.PGlite {
		// A connection of its own, so that the write-back, which uses the
		// pool's one connection, can write while the rows are read.
		conn, err := pgx.ConnectConfig(ctx, r.db.pool.Config().ConnConfig)
		if err != nil {
			return &ConnError{DB: r.db.where, Err: err}
		}
		r.conn = conn
		rows, err := conn.Query(ctx, r.query)
		if err != nil {
			return r.queryError(err)
		}
		r.pgrows = rows
		r.columns = fieldNames(rows.FieldDescriptions())
		if len(r.columns) == 0 {
			// The simple protocol reports a failed query when it is read.
			rows.Close()
			if err := rows.Err(); err != nil {
				return r.queryError(err)
			}
		}
		return nil
	}
	pc, err := r.db.pool.Acquire(ctx)
	if err != nil {
		return &ConnError{DB: r.db.where, Err: err}
	}
	r.pc = pc
	tx, err := pc.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return &ConnError{DB: r.db.where, Err: err}
	}
	r.tx = tx
	declare := "DECLARE salvo_rows NO SCROLL CURSOR FOR "
	if r.db.hold {
		// The write-back will add a column to a table, which waits for
		// every transaction that read it: the cursor outlives its
		// transaction (the server keeps the result), so none stays open.
		declare = "DECLARE salvo_rows NO SCROLL CURSOR WITH HOLD FOR "
	}
	r.offset = len(declare)
	if _, err := tx.Exec(ctx, declare+r.query); err != nil {
		return r.queryError(err)
	}
	if r.db.hold {
		r.tx, r.held = nil, true
		if err := tx.Commit(ctx); err != nil {
			return r.queryError(err)
		}
	}
	return r.fetchPostgres()
}

func fieldNames(fds []pgconn.FieldDescription) []string {
	names := make([]string, len(fds))
	for i, fd := range fds {
		names[i] = fd.Name
	}
	return names
}

// fetchPostgres reads the cursor's next page.
func (r *Rows) fetchPostgres() error {
	fetch := fmt.Sprintf("FETCH %d FROM salvo_rows", PageSize)
	var (
		rows pgx.Rows
		err  error
	)
	if r.held {
		rows, err = r.pc.Query(r.ctx, fetch, pgx.QueryExecModeSimpleProtocol)
	} else {
		rows, err = r.tx.Query(r.ctx, fetch, pgx.QueryExecModeSimpleProtocol)
	}
	if err != nil {
		return r.queryError(err)
	}
	defer rows.Close()
	r.columns = fieldNames(rows.FieldDescriptions())
	r.page, r.errs, r.next = r.page[:0], r.errs[:0], 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return r.queryError(err)
		}
		r.add(vals, rows.FieldDescriptions())
	}
	if err := rows.Err(); err != nil {
		return r.queryError(err)
	}
	if len(r.page) < PageSize {
		r.done = true
	}
	return nil
}

// nextStreamed reads the plain query of PGlite row by row.
func (r *Rows) nextStreamed() (*salvo.Record, error) {
	if !r.pgrows.Next() {
		r.pgrows.Close()
		if err := r.pgrows.Err(); err != nil {
			r.err = r.queryError(err)
			return nil, r.err
		}
		r.err = io.EOF
		return nil, io.EOF
	}
	vals, err := r.pgrows.Values()
	if err != nil {
		r.err = r.queryError(err)
		return nil, r.err
	}
	r.page, r.errs = r.page[:0], r.errs[:0]
	r.add(vals, r.pgrows.FieldDescriptions())
	r.row++
	if r.errs[0] != nil {
		return nil, r.errs[0]
	}
	return r.page[0], nil
}

func (w *WriteBack) inspectPostgres(ctx context.Context) error {
	var oid *uint32
	if err := w.db.pool.QueryRow(ctx, "SELECT to_regclass($1)::oid", w.t.table()).Scan(&oid); err != nil {
		return w.dbError(err)
	}
	if oid == nil {
		return w.noTable()
	}
	w.oid = *oid
	rows, err := w.db.pool.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.atttypmod
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, *oid)
	if err != nil {
		return w.dbError(err)
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
		return w.dbError(err)
	}
	if w.idType == "" {
		return w.noIDColumn(cols)
	}
	w.vecNS = w.db.srv.VectorSchema
	switch colTypname {
	case "": // created at the first write
		return w.nameFits("column", w.t.Column, "the vectors of "+w.t.String())
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

// differingPostgres is differing in one query.
func (w *WriteBack) differingPostgres(ctx context.Context, ids []string, vectors [][]float32, out map[string]bool) error {
	idCol := pgx.Identifier{w.idCol}.Sanitize()
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
		return err
	}
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error { out[id] = true; return nil })
	return err
}

// keyedPostgres reports whether a primary key or unique index of the ID
// column alone (not partial) keeps its values unique.
func (w *WriteBack) keyedPostgres(ctx context.Context) (keyed bool, err error) {
	err = w.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indrelid = $1 AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = $2)`,
		w.oid, w.idCol).Scan(&keyed)
	return keyed, err
}
