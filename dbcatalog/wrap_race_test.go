package dbcatalog_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/dbcatalog"
	"github.com/salvoembed/salvo/sqlite"
	"golang.org/x/sync/errgroup"
)

// TestWrapLookupDuringPut: the engine calls a wrapped store's Lookup (its
// resolver) while a Put (its writer) is writing back, as a run does. What
// the write-back learns of the user's column is shared by both, so under
// the race detector this fails where the two are not serialised.
func TestWrapLookupDuringPut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	shop := filepath.Join(dir, "shop.db")
	app, err := sql.Open("sqlite", shop)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	const n = 40
	if _, err := app.Exec(`CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := app.Exec(`INSERT INTO movies VALUES (?, ?)`, i, fmt.Sprint("movie ", i)); err != nil {
			t.Fatal(err)
		}
	}
	db, err := dbcatalog.Open(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.WriteBack(ctx, "movies.embedding", "id", 2)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "salvo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spec := salvo.KeySpec{Model: "m"}
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "m", Dims: 2}); err != nil {
		t.Fatal(err)
	}
	wrapped, err := w.Wrap(st)
	if err != nil {
		t.Fatal(err)
	}
	item := func(i int) (salvo.Entry, salvo.Item) {
		k := spec.Key("text " + strconv.Itoa(i))
		return salvo.Entry{Key: k, Vector: []float32{float32(i), 1}, Text: "text " + strconv.Itoa(i)}, salvo.Item{ID: strconv.Itoa(i), Key: k}
	}
	e1, it1 := item(1)
	if err := wrapped.Put(ctx, "movies", []salvo.Entry{e1}, []salvo.Item{it1}); err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	g.Go(func() error {
		for i := 2; i <= n; i++ {
			e, it := item(i)
			if err := wrapped.Put(ctx, "movies", []salvo.Entry{e}, []salvo.Item{it}); err != nil {
				return err
			}
		}
		return nil
	})
	g.Go(func() error {
		out := make([]salvo.Presence, 1)
		for range n {
			if err := wrapped.Lookup(ctx, "movies", []salvo.Item{it1}, out); err != nil {
				return err
			}
			if out[0] != salvo.Stored {
				return fmt.Errorf("record 1: presence %v, want Stored (its row holds its vector)", out[0])
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	var written int
	if err := app.QueryRow(`SELECT count(*) FROM movies WHERE length(embedding) = 8`).Scan(&written); err != nil || written != n {
		t.Fatalf("%d rows hold a vector (%v), want %d", written, err, n)
	}
}
