package cli

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/internal/base/f32le"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// nullIDQuery is the query: row 5 has a NULL ID.
const nullIDQuery = "SELECT CASE WHEN id=5 THEN NULL ELSE id END AS id, title FROM movies"

// sqliteMovies creates a SQLite file dir/name with a movies table of n rows
// (id, title) and returns its path.
func sqliteMovies(t *testing.T, dir, name string, n int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT);
		WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		INSERT INTO movies SELECT i, 'movie ' || i FROM s`, n); err != nil {
		t.Fatal(err)
	}
	return path
}

// pgMovies creates a movies table of n rows (id, title) in a new schema of
// srv and returns a URL whose search_path is that schema.
func pgMovies(t *testing.T, srv *pgtest.Server, n int) (url, schema string) {
	t.Helper()
	schema = srv.NewSchema(t)
	srv.Exec(t, fmt.Sprintf("CREATE TABLE %[1]s.movies (id integer PRIMARY KEY, title text); INSERT INTO %[1]s.movies SELECT i, 'movie ' || i FROM generate_series(1, %[2]d) AS i", schema, n))
	sep := "?"
	if strings.Contains(srv.URL, "?") {
		sep = "&"
	}
	return srv.URL + sep + "search_path=" + schema, schema
}

// TestSourceDBNullIDIsOneFailure: a row whose ID is NULL is one failure at
// its row number; every other row of the query is read and embedded, on
// SQLite and PostgreSQL, wherever the row comes in the result.
func TestSourceDBNullIDIsOneFailure(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 4, Dims: 8})
	dir := t.TempDir()
	check := func(t *testing.T, sourceDB, query, where string) {
		t.Helper()
		r := run(t, "", "embed", "--source-db", sourceDB, "--sql", query, "--fields", "title", "--host", s.URL(),
			"--db", filepath.Join(t.TempDir(), "salvo.db"), "--json")
		m := r.summary(t)
		if r.code != ExitPartial || num(m, "read") != 2500 || num(m, "embedded") != 2499 || num(m, "failed") != 1 {
			t.Errorf("exit %d, %v; want exit 2, 2500 read, 2499 embedded, 1 failed\n%s", r.code, m, r.err)
		}
		if !strings.Contains(r.err, where) || !strings.Contains(r.err, `the ID column "id" is NULL`) {
			t.Errorf("the failure is not reported at %s:\n%s", where, r.err)
		}
	}
	t.Run("SQLite", func(t *testing.T) {
		check(t, sqliteMovies(t, dir, "shop.db", 2500), nullIDQuery, "sql:5")
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		url, _ := pgMovies(t, pgtest.PostgreSQL(t), 2500)
		check(t, url, nullIDQuery+" ORDER BY id", "sql:2500")
		check(t, url, nullIDQuery+" ORDER BY id NULLS FIRST", "sql:1")
	})
}

// TestSourceDBSQLiteFilterOnWriteBackColumn: a query that filters on the
// write-back column reads every row once, though the rows it read are
// written back while it goes on (before, pages of LIMIT/OFFSET ran again
// on the shrunk result and skipped 160 of 2,500 rows).
func TestSourceDBSQLiteFilterOnWriteBackColumn(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 4, Dims: 8})
	dir := t.TempDir()
	path := sqliteMovies(t, dir, "shop.db", 2500)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("ALTER TABLE movies ADD COLUMN embedding BLOB"); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "embed", "--source-db", path, "--sql", "SELECT id,title FROM movies WHERE embedding IS NULL", "--write-back", "movies.embedding",
		"--fields", "title", "--host", s.URL(), "--db", filepath.Join(dir, "salvo.db"), "--json")
	m := r.summary(t)
	if written, _ := writeBackOf(t, m); r.code != ExitOK || num(m, "read") != 2500 || written != 2500 || num(m, "duplicates") != 0 {
		t.Errorf("exit %d, %d written, %v; want exit 0, 2500 read and written\n%s", r.code, written, m, r.err)
	}
	var null int
	if err := db.QueryRow("SELECT count(*) FROM movies WHERE embedding IS NULL").Scan(&null); err != nil || null != 0 {
		t.Errorf("%d rows still NULL (%v), want 0", null, err)
	}
}

// TestWriteBackNonUniqueID: --id naming a column that is only part of the
// table's key (shop of (shop, sku)) exits 1, writes nothing, and says how
// to key such a table; before, it wrote item1's vector into item2's row.
func TestWriteBackNonUniqueID(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 2, Dims: 8})
	const table = `CREATE TABLE items (shop integer, sku integer, title text, PRIMARY KEY (shop, sku));
		INSERT INTO items VALUES (1, 1, 'shop1 item1'), (1, 2, 'shop1 item2'), (2, 1, 'shop2 item1')`
	check := func(t *testing.T, sourceDB, target string, written func() int64) {
		t.Helper()
		r := run(t, "", "embed", "--source-db", sourceDB, "--sql", "SELECT shop, sku, title FROM items WHERE sku = 1", "--id", "shop",
			"--fields", "title", "--write-back", target, "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "salvo.db"))
		if r.code != ExitFatal || !strings.Contains(r.err, "--id shop is not unique in table items") || !strings.Contains(r.err, "Key the write-back by a column that names one row") {
			t.Errorf("exit %d, stderr %q; want exit 1 and how to key the table", r.code, r.err)
		}
		if n := written(); n != 0 || s.Requests() != 0 {
			t.Errorf("%d rows written, %d requests; want none", n, s.Requests())
		}
	}
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shop.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(table + "; ALTER TABLE items ADD COLUMN embedding BLOB"); err != nil {
			t.Fatal(err)
		}
		check(t, path, "items.embedding", func() int64 {
			var n int64
			if err := db.QueryRow("SELECT count(*) FROM items WHERE embedding IS NOT NULL").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		})
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		srv := pgtest.PostgreSQL(t)
		url, schema := pgMovies(t, srv, 1)
		srv.Exec(t, "SET search_path TO "+schema+"; "+table)
		check(t, url, schema+".items.embedding", func() int64 {
			return query[int64](t, srv, "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items' AND column_name = 'embedding'", schema)
		})
	})
}

// storeVectors is the vector of every record of salvo's database db, from
// salvo export.
func storeVectors(t *testing.T, db string) map[string][]float32 {
	t.Helper()
	r := run(t, "", "export", "--db", db, "--format", "jsonl")
	if r.code != ExitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.err)
	}
	out := map[string][]float32{}
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		var rec struct {
			ID     string    `json:"id"`
			Vector []float32 `json:"vector"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("export line %.80q: %v", line, err)
		}
		out[rec.ID] = rec.Vector
	}
	return out
}

// tableVector is the vector written back into movies.embedding of row id.
func tableVector(t *testing.T, db *sql.DB, id int) []float32 {
	t.Helper()
	var b []byte
	if err := db.QueryRow("SELECT embedding FROM movies WHERE id = ?", id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	f32le.Decode(v, b)
	return v
}

// TestWriteBackOnDuplicateLast: with --on-duplicate last, the table and
// salvo's store both hold the last record's vector of a repeated ID, run
// after run; a row whose vector differs from the store's is repaired by a
// re-run without a request.
func TestWriteBackOnDuplicateLast(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 4, Dims: 8})
	dir := t.TempDir()
	path := sqliteMovies(t, dir, "shop.db", 2500)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := filepath.Join(dir, "salvo.db")
	args := []string{"embed", "--source-db", path, "--sql", "SELECT id, title FROM movies UNION ALL SELECT id, title || ' again' FROM movies WHERE id <= 3",
		"--text", "{{.title}}", "--on-duplicate", "last", "--write-back", "movies.embedding", "--host", s.URL(), "--db", store, "--json"}
	for run1 := 1; run1 <= 2; run1++ {
		r := run(t, "", args...)
		if r.code != ExitOK {
			t.Fatalf("run %d: exit %d: %s", run1, r.code, r.err)
		}
		vecs := storeVectors(t, store)
		for id := 1; id <= 3; id++ {
			want := ollamatest.Vector(ollamatest.DefaultModel, fmt.Sprintf("movie %d again", id), 8)
			got := tableVector(t, db, id)
			if !slices.Equal(got, vecs[fmt.Sprint(id)]) || ollamatest.Cosine(got, want) < 0.99999 {
				t.Errorf("run %d, ID %d: the table holds %v, the store %v; want both the last record's vector", run1, id, got, vecs[fmt.Sprint(id)])
			}
		}
	}

	// A row that holds another row's vector is repaired by a re-run.
	if _, err := db.Exec("UPDATE movies SET embedding = (SELECT embedding FROM movies WHERE id = 11) WHERE id = 10"); err != nil {
		t.Fatal(err)
	}
	s.Reset()
	args[4] = "SELECT id, title FROM movies WHERE id > 3"
	r := run(t, "", args...)
	m := r.summary(t)
	if written, _ := writeBackOf(t, m); r.code != ExitOK || written != 1 || s.Requests() != 0 {
		t.Errorf("re-run after a wrong row: exit %d, %d written, %d requests; want 1 written, no request\n%s", r.code, written, s.Requests(), r.err)
	}
	if got, want := tableVector(t, db, 10), storeVectors(t, store)["10"]; !slices.Equal(got, want) {
		t.Errorf("row 10 holds %v, the store %v", got, want)
	}
}

// TestWriteBackPrune: with --write-back, --prune deletes from the
// collection the records that left the query's result, and leaves the
// user's rows as they are: the column of a row that left it keeps its
// vector.
func TestWriteBackPrune(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 4, Dims: 8})
	dir := t.TempDir()
	path := sqliteMovies(t, dir, "shop.db", 20)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := filepath.Join(dir, "salvo.db")
	args := []string{"embed", "--source-db", path, "--sql", "SELECT id, title FROM movies WHERE id <= 20",
		"--text", "{{.title}}", "--write-back", "movies.embedding", "--host", s.URL(), "--db", store, "--collection", "m", "--prune", "--json"}
	if r := run(t, "", args...); r.code != ExitOK {
		t.Fatalf("first run: exit %d: %s", r.code, r.err)
	}
	before := tableVector(t, db, 20)
	args[4] = "SELECT id, title FROM movies WHERE id <= 18"
	r := run(t, "", args...)
	if r.code != ExitOK {
		t.Fatalf("run with two rows gone from the result: exit %d: %s", r.code, r.err)
	}
	if m := r.summary(t); m["deleted"] != float64(2) {
		t.Errorf("deleted = %v, want 2\n%s", m["deleted"], r.err)
	}
	recs := exported(t, store, "m")
	if _, has := recs["20"]; has || len(recs) != 18 {
		t.Errorf("the collection holds %d records (20 among them: %v), want 18 without 19 and 20", len(recs), has)
	}
	if got := tableVector(t, db, 20); !slices.Equal(got, before) {
		t.Errorf("row 20's column after the prune = %v, want its vector kept (%v)", got, before)
	}
}
