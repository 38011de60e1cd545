package dbcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// idTypeSQLite is the declared type of the user's ID column.
func (w *WriteBack) idTypeSQLite(ctx context.Context) (string, error) {
	var typ string
	err := w.db.lite.QueryRowContext(ctx, "SELECT type FROM pragma_table_info(?) WHERE name = ?", w.t.Table, w.idCol).Scan(&typ)
	return typ, err
}

// inspectTableSQLite describes table name, nil when it does not exist.
func (w *WriteBack) inspectTableSQLite(ctx context.Context, name string) (*tableInfo, error) {
	rows, err := w.db.lite.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?)", name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	info := &tableInfo{types: map[string][2]string{}}
	key := map[int]string{} // position in the primary key → column
	for rows.Next() {
		var col, typ string
		var k int
		if err := rows.Scan(&col, &typ, &k); err != nil {
			return nil, err
		}
		info.types[col] = [2]string{typ, strings.ToUpper(typ)}
		if k > 0 {
			key[k] = col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(info.types) == 0 {
		return nil, nil
	}
	for _, k := range slices.Sorted(maps.Keys(key)) {
		info.key = append(info.key, key[k])
	}
	return info, nil
}

type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readPiecesSQLite(ctx context.Context, q sqlQuerier, w *WriteBack, ids []string) ([]pieceRow, error) {
	var out []pieceRow
	for _, id := range ids {
		rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT chunk, start, "end", %s FROM %s WHERE id = ?1 ORDER BY chunk`, w.col, w.chunkTable()), id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r := pieceRow{id: id}
			var b []byte
			if err := rows.Scan(&r.chunk, &r.start, &r.end, &b); err != nil {
				rows.Close()
				return nil, err
			}
			r.vec = make([]float32, len(b)/4)
			f32le.Decode(r.vec, b)
			out = append(out, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (w *WriteBack) writePiecesSQLite(ctx context.Context, c pieceChange, done []string, wrote map[string]bool) ([]pieceRow, error) {
	tx, err := w.db.lite.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	created := ""
	if len(c.rows) > 0 {
		if w.kind == "" {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s BLOB", w.t.table(), w.col)); err != nil {
				return nil, err
			}
			created = "BLOB"
		}
		if !w.chunksExist {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (id %s, chunk INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, %s BLOB NOT NULL, PRIMARY KEY (id, chunk))`,
				w.chunkTable(), w.idType, w.col)); err != nil {
				return nil, err
			}
		}
		stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %[1]s (id, chunk, start, "end", %[2]s) VALUES (?1, ?2, ?3, ?4, ?5)
			ON CONFLICT (id, chunk) DO UPDATE SET start = excluded.start, "end" = excluded."end", %[2]s = excluded.%[2]s
			WHERE start IS NOT excluded.start OR "end" IS NOT excluded."end" OR %[2]s IS NOT excluded.%[2]s`, w.chunkTable(), w.col))
		if err != nil {
			return nil, err
		}
		defer stmt.Close()
		for _, r := range c.rows {
			res, err := stmt.ExecContext(ctx, r.id, r.chunk, r.start, r.end, append([]byte(nil), f32le.Bytes(r.vec)...))
			if err != nil {
				return nil, err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				wrote[r.id] = true
				w.Pieces++
			}
		}
	}
	if len(c.keep) > 0 {
		stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE id = ?1 AND chunk >= ?2", w.chunkTable()))
		if err != nil {
			return nil, err
		}
		defer stmt.Close()
		for id, n := range c.keep {
			if _, err := stmt.ExecContext(ctx, id, n); err != nil {
				return nil, err
			}
		}
	}
	rows, err := readPiecesSQLite(ctx, tx, w, done)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if created != "" {
		w.Created, w.kind = created, "blob"
	}
	w.chunksExist, w.chunksChecked = w.chunksExist || len(c.rows) > 0, w.chunksChecked || len(c.rows) > 0
	return rows, nil
}
