package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/salvoembed/salvo"
)

// sqliteTable creates a SQLite file with the statements and returns its
// path and an open handle (closed at the end of the test).
func sqliteTable(t *testing.T, stmts string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	lite, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	if _, err := lite.Exec(stmts); err != nil {
		t.Fatal(err)
	}
	return path, lite
}

const series2500 = `CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, embedding BLOB);
	WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2500)
	INSERT INTO movies (id, title) SELECT i, 'movie ' || i FROM s`

// TestSQLiteRowsSnapshot: rows written back while a query that filters on
// the written column is read are each read once, in order.
func TestSQLiteRowsSnapshot(t *testing.T) {
	ctx := context.Background()
	path, _ := sqliteTable(t, series2500)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wb, err := db.WriteBack(ctx, "movies.embedding", "id", 2)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, "SELECT id, title FROM movies WHERE embedding IS NULL ORDER BY id", "id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids, batch []string
	write := func() {
		vecs := make([][]float32, len(batch))
		for i := range vecs {
			vecs[i] = []float32{1, 2}
		}
		if err := wb.Write(ctx, batch, vecs); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for {
		rec, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids, batch = append(ids, rec.ID), append(batch, rec.ID)
		if len(batch) == 100 {
			write()
		}
	}
	write()
	if len(ids) != 2500 || wb.Written != 2500 {
		t.Fatalf("%d rows read, %d written; want 2500", len(ids), wb.Written)
	}
	for i, id := range ids {
		if id != fmt.Sprint(i+1) {
			t.Fatalf("row %d has ID %s", i+1, id)
		}
	}
}

// TestSQLiteRowsColumnsNamedRowid: a result whose columns take every name
// of rowid is read whole all the same, with its NULL-ID row as a row error.
func TestSQLiteRowsColumnsNamedRowid(t *testing.T) {
	ctx := context.Background()
	path, _ := sqliteTable(t, series2500)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, errs := readAll(t, db, "SELECT CASE WHEN id = 1500 THEN NULL ELSE id END AS id, id AS rowid, id AS _rowid_, title AS oid FROM movies", "id")
	var le *salvo.RecordError
	if len(recs) != 2499 || len(errs) != 1 || !errors.As(errs[0], &le) || le.Line != 1500 {
		t.Fatalf("%d records, errors %v; want 2499 and one at row 1500", len(recs), errs)
	}
	if recs[1499].ID != "1501" || recs[1499].Line != 1501 || recs[1499].Fields["oid"] != "movie 1501" {
		t.Errorf("record after the NULL row: %+v", recs[1499])
	}
}
