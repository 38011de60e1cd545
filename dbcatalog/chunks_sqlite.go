package dbcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// idTypeSQLite is the declared type of the user's ID column.
func (w *WriteBack) idTypeSQLite(ctx context.Context) (string, error) {
	var typ string
	err := w.db.lite.QueryRowContext(ctx, "SELECT type FROM pragma_table_info(?) WHERE name = ?", w.t.Table, w.idCol).Scan(&typ)
	return typ, err
}

// checkChunksSQLite finds whether <table>_chunks exists and, if so,
// whether it is a table of pieces: its columns and primary key.
func (w *WriteBack) checkChunksSQLite(ctx context.Context) error {
	idType, err := w.idTypeSQLite(ctx)
	if err != nil {
		return w.dbError(err)
	}
	w.idType = idType
	rows, err := w.db.lite.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?)", w.t.Table+"_chunks")
	if err != nil {
		return w.dbError(err)
	}
	defer rows.Close()
	types := map[string][2]string{}
	pk := map[string]int{}
	for rows.Next() {
		var name, typ string
		var k int
		if err := rows.Scan(&name, &typ, &k); err != nil {
			return w.dbError(err)
		}
		types[name], pk[name] = [2]string{typ, strings.ToUpper(typ)}, k
	}
	if err := rows.Err(); err != nil {
		return w.dbError(err)
	}
	if len(types) == 0 {
		w.chunksExist = false
		return nil
	}
	if err := w.checkChunkColumns(types, func(col string, ty [2]string) bool {
		switch col {
		case "id":
			return strings.EqualFold(ty[0], idType)
		case "chunk", "start", "end":
			return ty[1] == "INTEGER"
		}
		return ty[1] == "BLOB"
	}); err != nil {
		return err
	}
	if pk["id"] != 1 || pk["chunk"] != 2 || pk["start"]+pk["end"]+pk[w.t.Column] != 0 {
		return w.chunkError("its primary key is not (id, chunk)")
	}
	w.chunksExist = true
	return nil
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
