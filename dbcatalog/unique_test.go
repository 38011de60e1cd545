package dbcatalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/postgres/pgtest"
)

// uniqueCases are the tables of the uniqueness check, the same in SQLite
// and PostgreSQL: each ID column, and whether it keys a write-back.
var uniqueCases = []struct {
	table, id string
	unique    bool
}{
	{"items", "shop", false},    // part of a primary key (shop, sku)
	{"items", "sku", false},     // the other part
	{"items", "code", true},     // a unique index of its own
	{"items", "label", true},    // no index, but no two rows share one
	{"items", "note", false},    // no index, shared
	{"movies", "id", true},      // primary key
	{"movies", "partial", true}, // a partial unique index, values unique all the same
	{"movies", "shared", false}, // a partial unique index, values shared
}

const uniqueTables = `CREATE TABLE items (shop integer, sku integer, code text, label text, note text, PRIMARY KEY (shop, sku));
	CREATE UNIQUE INDEX items_code ON items (code);
	INSERT INTO items VALUES (1, 1, 'a', 'shop1 item1', 'x'), (1, 2, 'b', 'shop1 item2', 'x'), (2, 1, 'c', 'shop2 item1', NULL);
	CREATE TABLE movies (id integer PRIMARY KEY, partial integer, shared integer);
	CREATE UNIQUE INDEX movies_partial ON movies (partial) WHERE id > 1;
	CREATE UNIQUE INDEX movies_shared ON movies (shared) WHERE id > 1;
	INSERT INTO movies VALUES (1, 1, 7), (2, 2, 7)`

func checkUniqueCases(t *testing.T, db *DB, schema string) {
	t.Helper()
	for _, tc := range uniqueCases {
		target := tc.table + ".embedding"
		if schema != "" {
			target = schema + "." + target
		}
		_, err := db.WriteBack(context.Background(), target, tc.id, 0)
		var nu *NotUniqueError
		switch {
		case tc.unique && err != nil:
			t.Errorf("--id %s of %s: %v; want it accepted", tc.id, tc.table, err)
		case !tc.unique && !errors.As(err, &nu):
			t.Errorf("--id %s of %s: %v; want a *NotUniqueError", tc.id, tc.table, err)
		case !tc.unique && (nu.IDColumn != tc.id || nu.Rows != 2 || nu.Target.Table != tc.table || strings.Contains(err.Error(), "--")):
			t.Errorf("--id %s of %s: %+v (%v)", tc.id, tc.table, nu, err)
		}
	}
}

// TestWriteBackIDMustBeUnique: a write-back keyed by a column that more
// than one row holds is refused before anything is written.
func TestWriteBackIDMustBeUnique(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		path, _ := sqliteTable(t, uniqueTables)
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checkUniqueCases(t, db, "")
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		srv := pgtest.PostgreSQL(t)
		schema := srv.NewSchema(t)
		srv.Exec(t, "SET search_path TO "+schema+"; "+uniqueTables)
		db, err := Open(context.Background(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checkUniqueCases(t, db, schema)
	})
}
