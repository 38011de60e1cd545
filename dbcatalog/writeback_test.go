package dbcatalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/internal/base/f32le"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// writeBackDB is one database of the direct WriteBack tests: movies (id,
// title) with rows 1..3, a text column note and, for the wrong dimension,
// a 3-dimensional vector in small of row 1.
type writeBackDB struct {
	name   string
	db     *DB
	schema string // PostgreSQL: the tables' schema
	// vector reads row id's vector of column col, nil when NULL.
	vector func(t *testing.T, col string, id int) []float32
	// exec runs statements, {s} in them the tables' schema and a dot.
	exec func(t *testing.T, stmts string)
	// vecType is the type of a vector column, BLOB or real[].
	vecType string
}

func (d writeBackDB) target(col string) string {
	if d.schema != "" {
		return d.schema + ".movies." + col
	}
	return "movies." + col
}

func writeBackDBs(t *testing.T) []writeBackDB {
	t.Helper()
	ctx := context.Background()
	path, lite := sqliteTable(t, `CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, note TEXT, small BLOB);
		INSERT INTO movies (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c');
		UPDATE movies SET small = x'0000803f0000803f0000803f' WHERE id = 1`)
	ldb, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ldb.Close() })
	srv := pgtest.PostgreSQL(t)
	schema := srv.NewSchema(t)
	srv.Exec(t, "CREATE TABLE "+schema+".movies (id integer PRIMARY KEY, title text, note text, small real[]); INSERT INTO "+schema+
		".movies (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c'); UPDATE "+schema+".movies SET small = '{1,1,1}' WHERE id = 1")
	pdb, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pdb.Close() })
	return []writeBackDB{
		{name: "SQLite", db: ldb, vecType: "BLOB", exec: func(t *testing.T, stmts string) {
			t.Helper()
			if _, err := lite.Exec(strings.ReplaceAll(stmts, "{s}", "")); err != nil {
				t.Fatal(err)
			}
		}, vector: func(t *testing.T, col string, id int) []float32 {
			var b []byte
			if err := lite.QueryRow("SELECT "+col+" FROM movies WHERE id = ?", id).Scan(&b); err != nil {
				t.Fatal(err)
			}
			if b == nil {
				return nil
			}
			v := make([]float32, len(b)/4)
			f32le.Decode(v, b)
			return v
		}},
		{name: "PostgreSQL", db: pdb, schema: schema, vecType: "real[]", exec: func(t *testing.T, stmts string) {
			t.Helper()
			srv.Exec(t, strings.ReplaceAll(stmts, "{s}", schema+"."))
		}, vector: func(t *testing.T, col string, id int) []float32 {
			var v []float32
			srv.Scan(t, "SELECT "+col+" FROM "+schema+".movies WHERE id = $1", []any{id}, &v)
			return v
		}},
	}
}

// TestWriteBackDirect: WriteBack creates the column, writes only changed
// rows, writes an ID again when a later record of it comes (the last
// vector wins), finds rows that differ from the vectors given, and
// reports each mistake as a typed error without writing.
func TestWriteBackDirect(t *testing.T) {
	ctx := context.Background()
	for _, d := range writeBackDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			w, err := d.db.WriteBack(ctx, d.target("embedding"), "id", 0)
			if err != nil {
				t.Fatal(err)
			}
			// The column is missing: every existing row differs.
			diff, err := w.differing(ctx, []string{"1", "2", "9"}, [][]float32{{1, 2}, {3, 4}, {5, 6}})
			if err != nil || len(diff) != 2 || !diff["1"] || !diff["2"] {
				t.Fatalf("differing before the column exists: %v, %v", diff, err)
			}
			if err := w.Write(ctx, []string{"1", "2", "2"}, [][]float32{{1, 2}, {9, 9}, {3, 4}}); err != nil {
				t.Fatal(err)
			}
			if w.Created == "" || w.Written != 2 || w.Duplicates != 0 {
				t.Errorf("first write: created %q, written %d, duplicates %d", w.Created, w.Written, w.Duplicates)
			}
			if v := d.vector(t, "embedding", 2); len(v) != 2 || v[0] != 3 {
				t.Errorf("row 2 holds %v, want the last vector given, [3 4]", v)
			}
			// The same vectors again write nothing; a later record of ID 1
			// replaces its vector.
			if err := w.Write(ctx, []string{"2", "1"}, [][]float32{{3, 4}, {7, 8}}); err != nil {
				t.Fatal(err)
			}
			if w.Written != 3 || w.Duplicates != 2 || w.FirstDuplicate != "2" {
				t.Errorf("second write: written %d, duplicates %d (first %q); want 3, 2, 2", w.Written, w.Duplicates, w.FirstDuplicate)
			}
			if v := d.vector(t, "embedding", 1); len(v) != 2 || v[0] != 7 || v[1] != 8 {
				t.Errorf("row 1 holds %v, want [7 8]", v)
			}
			diff, err = w.differing(ctx, []string{"1", "2", "3"}, [][]float32{{7, 8}, {3, 5}, {1, 1}})
			if err != nil || len(diff) != 2 || !diff["2"] || !diff["3"] {
				t.Errorf("differing: %v, %v; want 2 (another vector) and 3 (NULL)", diff, err)
			}
			var de *DimsError
			if err := w.Write(ctx, []string{"3"}, [][]float32{{1, 2, 3}}); !errors.As(err, &de) || de.Column != 2 || de.Want != 3 {
				t.Errorf("a vector of 3 dimensions into a column of 2: %v", err)
			}
			if v := d.vector(t, "embedding", 3); v != nil {
				t.Errorf("row 3 holds %v after a refused write", v)
			}
		})
	}
}

// TestWriteBackErrors: each mistake is a typed error that names no flag.
func TestWriteBackErrors(t *testing.T) {
	ctx := context.Background()
	for _, d := range writeBackDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			for _, tt := range []struct {
				target, id string
				dims       int
				check      func(error) bool
			}{
				{"movies", "id", 0, func(err error) bool { var e *TargetError; return errors.As(err, &e) && e.DB == "" }},
				{d.target("embedding")[:len(d.target("embedding"))-len("movies.embedding")] + "films.embedding", "id", 0,
					func(err error) bool { var e *TargetError; return errors.As(err, &e) && e.Missing }},
				{d.target("embedding"), "key", 0, func(err error) bool {
					var e *NoIDColumnError
					return errors.As(err, &e) && e.Table == "movies" && strings.Join(e.Columns, ",") == "id,title,note,small"
				}},
				{d.target("note"), "id", 0, func(err error) bool { var e *TargetError; return errors.As(err, &e) && e.WrongType }},
				{d.target("small"), "id", 8, func(err error) bool { var e *DimsError; return errors.As(err, &e) && e.Column == 3 && e.Want == 8 }},
			} {
				_, err := d.db.WriteBack(ctx, tt.target, tt.id, tt.dims)
				if !tt.check(err) || strings.Contains(err.Error(), "--") {
					t.Errorf("WriteBack(%q, %q, %d): %v (%T)", tt.target, tt.id, tt.dims, err, err)
				}
			}
		})
	}
}
