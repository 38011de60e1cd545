package dbcatalog_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/salvoembed/salvo/dbcatalog"
	"github.com/salvoembed/salvo/sqlite"
)

// Read the rows of a query as records, and write their vectors back into a
// column of the table. The package comment's example, run on a SQLite file
// (a postgres:// URL works the same way).
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "dbcatalog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	shop := filepath.Join(dir, "shop.db")
	app, err := sql.Open("sqlite", shop)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := app.Exec(`CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, summary TEXT);
		INSERT INTO movies VALUES (1, 'Heat', 'A heist in Los Angeles'), (2, 'Rififi', 'A heist in Paris')`); err != nil {
		log.Fatal(err)
	}

	db, err := dbcatalog.Open(ctx, shop)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, "SELECT id, title, summary FROM movies", "id")
	if err != nil {
		log.Fatal(err)
	}
	var ids []string
	for {
		rec, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.ID, rec.Fields["title"])
		ids = append(ids, rec.ID)
	}
	rows.Close()

	// dims: the vectors' length, checked against the column now (0: at the
	// first write).
	w, err := db.WriteBack(ctx, "movies.embedding", "id", 3)
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "salvo.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	wrapped, err := w.Wrap(st) // the engine stores through it: engine.Config's Store
	if err != nil {
		log.Fatal(err)
	}
	_ = wrapped
	// What the wrapped store does before each Put:
	if err := w.Write(ctx, ids, [][]float32{{1, 0, 0}, {0, 1, 0}}); err != nil {
		log.Fatal(err)
	}
	var n int
	if err := app.QueryRow(`SELECT count(*) FROM movies WHERE length(embedding) = 12`).Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows have a vector of 3 float32")
	app.Close()
	// Output:
	// 1 Heat
	// 2 Rififi
	// 2 rows have a vector of 3 float32
}
