package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/postgres/pgtest"
)

// ids reads the IDs of query's rows, sorted.
func ids(t *testing.T, db *DB, query string) []string {
	t.Helper()
	recs, errs := readAll(t, db, query, "id")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// checkSince: MaxOf marks the highest value of the column, and SinceQuery
// from that mark reads only the rows written past it, for each column type
// in columns (a timestamp, a number, a text with a quote in it).
func checkSince(t *testing.T, db *DB, exec func(string), columns []string) {
	ctx := context.Background()
	const query = "SELECT id, title, changed_at, version, tag FROM movies;"
	for _, col := range columns {
		t.Run(col, func(t *testing.T) {
			exec("DELETE FROM movies")
			exec(`INSERT INTO movies VALUES (1, 'a', '2026-01-01 10:00:00.000001', 1, 'it''s a'), (2, 'b', '2026-01-01 10:00:00.000002', 2, 'it''s b')`)
			empty, err := db.MaxOf(ctx, "SELECT * FROM movies WHERE id < 0", col)
			if err != nil || !empty.IsZero() {
				t.Fatalf("MaxOf no rows: %v, %v; want the zero mark", empty, err)
			}
			if got := SinceQuery(query, col, empty); got != "SELECT id, title, changed_at, version, tag FROM movies" {
				t.Errorf("SinceQuery with the zero mark: %q, want the query", got)
			}
			m, err := db.MaxOf(ctx, query, col)
			if err != nil || m.IsZero() {
				t.Fatalf("MaxOf: %v, %v", m, err)
			}
			if got := ids(t, db, SinceQuery(query, col, m)); len(got) != 0 {
				t.Errorf("nothing changed since %s, but the query reads %v", m, got)
			}
			exec(`INSERT INTO movies VALUES (3, 'c', '2026-01-01 10:00:00.000003', 3, 'it''s c')`)
			exec(`UPDATE movies SET title = 'a2', changed_at = '2026-01-01 10:00:00.000004', version = 4, tag = 'it''s d' WHERE id = 1`)
			if got, want := ids(t, db, SinceQuery(query, col, m)), []string{"1", "3"}; !slices.Equal(got, want) {
				t.Errorf("since %s: %v, want %v", m, got, want)
			}
		})
	}
	var nc *NoColumnError
	if _, err := db.MaxOf(ctx, query, "no_such_column"); !errors.As(err, &nc) || nc.Column != "no_such_column" || len(nc.Columns) != 5 {
		t.Errorf("MaxOf of a column the query lacks: %v, want a NoColumnError naming it and the 5 columns", err)
	}
}

func TestSincePostgreSQL(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.PostgreSQL(t)
	db, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(sql string) {
		t.Helper()
		if _, err := db.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("DROP TABLE IF EXISTS movies; CREATE TABLE movies (id int PRIMARY KEY, title text, changed_at timestamptz, version numeric, tag text)")
	checkSince(t, db, exec, []string{"changed_at", "version", "tag"})
}

func TestSinceSQLite(t *testing.T) {
	path, lite := sqliteTable(t, "CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, changed_at DATETIME, version REAL, tag TEXT)")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(sql string) {
		t.Helper()
		if _, err := lite.Exec(sql); err != nil {
			t.Fatal(err)
		}
	}
	checkSince(t, db, exec, []string{"changed_at", "version", "tag"})
}

// quoteText gives a literal that the database reads back as the text.
func FuzzQuoteText(f *testing.F) {
	for _, s := range []string{"", "plain", "it's", "''", `a\'b`, "2026-01-01 10:00:00+00", "x'00'", "\x00", "é—"} {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "fuzz.db")
	lite, err := sql.Open("sqlite", path)
	if err == nil {
		_, err = lite.Exec("CREATE TABLE t (a TEXT)")
		lite.Close()
	}
	if err != nil {
		f.Fatal(err)
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			t.Skip("no database holds a NUL in a text")
		}
		var got string
		if err := db.lite.QueryRow("SELECT " + quoteText(s)).Scan(&got); err != nil {
			t.Fatalf("%q as %s: %v", s, quoteText(s), err)
		}
		if got != s {
			t.Errorf("%q read back as %q", s, got)
		}
	})
}
