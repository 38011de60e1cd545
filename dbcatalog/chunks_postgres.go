package dbcatalog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// inspectTablePostgres describes table name (in the target's schema), nil
// when it does not exist.
func (w *WriteBack) inspectTablePostgres(ctx context.Context, name string) (*tableInfo, error) {
	var oid *uint32
	if err := w.db.pool.QueryRow(ctx, "SELECT to_regclass($1)::oid", w.qualified(name)).Scan(&oid); err != nil || oid == nil {
		return nil, err
	}
	rows, err := w.db.pool.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, *oid)
	if err != nil {
		return nil, err
	}
	var col, format, typname string
	info := &tableInfo{types: map[string][2]string{}}
	if _, err := pgx.ForEachRow(rows, []any{&col, &format, &typname}, func() error {
		info.types[col] = [2]string{format, typname}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := w.db.pool.QueryRow(ctx, `SELECT coalesce(array_agg(a.attname::text ORDER BY k.n), '{}') FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisprimary`, *oid).Scan(&info.key); err != nil {
		return nil, err
	}
	return info, nil
}

// chunkType is the SQL type of the pieces' vectors, for casts.
func (w *WriteBack) chunkType(dims int) string {
	if w.chunkKind != "vector" {
		return "real[]"
	}
	if dims == 0 {
		return pgx.Identifier{w.vecNS}.Sanitize() + ".vector"
	}
	return fmt.Sprintf("%s.vector(%d)", pgx.Identifier{w.vecNS}.Sanitize(), dims)
}

type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readPiecesPostgres(ctx context.Context, q pgQuerier, w *WriteBack, ids []string) ([]pieceRow, error) {
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT v.id, t.chunk, t.start, t."end", t.%s::real[] FROM unnest($1::text[]) AS v (id)
		JOIN %s AS t ON t.id = v.id::%s ORDER BY v.id, t.chunk`, w.col, w.chunkTable(), w.idType), ids)
	if err != nil {
		return nil, err
	}
	var (
		out []pieceRow
		r   pieceRow
	)
	_, err = pgx.ForEachRow(rows, []any{&r.id, &r.chunk, &r.start, &r.end, &r.vec}, func() error {
		out = append(out, r)
		r.vec = nil
		return nil
	})
	return out, err
}

func (w *WriteBack) writePiecesPostgres(ctx context.Context, c pieceChange, done []string, wrote map[string]bool) ([]pieceRow, error) {
	tx, err := w.db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	kind, created := w.kind, ""
	if len(c.rows) > 0 {
		dims := len(c.rows[0].vec)
		if kind == "" {
			if kind, created, err = w.createPostgres(ctx, tx, dims); err != nil {
				return nil, err
			}
		}
		if !w.chunksExist {
			w.chunkKind = kind
			if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (id %s NOT NULL, chunk integer NOT NULL, start integer NOT NULL, "end" integer NOT NULL, %s %s NOT NULL, PRIMARY KEY (id, chunk))`,
				w.chunkTable(), w.idType, w.col, w.chunkType(dims))); err != nil {
				return nil, err
			}
		}
		n := len(c.rows)
		ids, idx, starts, ends, vecs := make([]string, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]string, n)
		for i, r := range c.rows {
			ids[i], idx[i], starts[i], ends[i] = r.id, int32(r.chunk), int32(r.start), int32(r.end)
			vecs[i] = vectorText(r.vec, w.chunkKind == "vector")
		}
		typ := w.chunkType(dims)
		q := fmt.Sprintf(`WITH v AS (SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::text[]) AS v (id, chunk, s, e, vec)),
			changed AS (SELECT v.* FROM v LEFT JOIN %[1]s AS t ON t.id = v.id::%[2]s AND t.chunk = v.chunk
				WHERE t.chunk IS NULL OR t.start <> v.s OR t."end" <> v.e OR t.%[3]s IS DISTINCT FROM v.vec::%[4]s),
			up AS (INSERT INTO %[1]s (id, chunk, start, "end", %[3]s) SELECT id::%[2]s, chunk, s, e, vec::%[4]s FROM changed
				ON CONFLICT (id, chunk) DO UPDATE SET start = excluded.start, "end" = excluded."end", %[3]s = excluded.%[3]s)
			SELECT id FROM changed`, w.chunkTable(), w.idType, w.col, typ)
		rows, err := tx.Query(ctx, q, ids, idx, starts, ends, vecs)
		if err != nil {
			return nil, err
		}
		var id string
		k, err := pgx.ForEachRow(rows, []any{&id}, func() error { wrote[id] = true; return nil })
		if err != nil {
			return nil, err
		}
		w.Pieces += int(k.RowsAffected())
	}
	if len(c.keep) > 0 {
		ids, from := make([]string, 0, len(c.keep)), make([]int32, 0, len(c.keep))
		for id, n := range c.keep {
			ids, from = append(ids, id), append(from, int32(n))
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s AS t USING unnest($1::text[], $2::int[]) AS v (id, n) WHERE t.id = v.id::%s AND t.chunk >= v.n`,
			w.chunkTable(), w.idType), ids, from); err != nil {
			return nil, err
		}
	}
	var rows []pieceRow
	if len(done) > 0 {
		if rows, err = readPiecesPostgres(ctx, tx, w, done); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	if created != "" {
		w.Created = created
	}
	w.kind, w.chunksExist, w.chunksChecked = kind, true, true
	return rows, nil
}
