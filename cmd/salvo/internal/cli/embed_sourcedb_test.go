package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

func TestMain(m *testing.M) { fakeOllamaMain(); os.Exit(pgtest.Run(m)) }

// movie is the part of the sample catalog the tests put in a table.
type movie struct {
	ID      int      `json:"id"`
	Title   string   `json:"title"`
	Year    int      `json:"year"`
	Genres  []string `json:"genres"`
	Summary string   `json:"summary"`
	Rating  float64  `json:"rating"`
}

func sampleMovies(t *testing.T) []movie {
	t.Helper()
	f, err := os.Open(repoFile(t, "examples/movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ms []movie
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m movie
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// moviesTable creates schema.movies on srv with the sample catalog.
func moviesTable(t *testing.T, srv *pgtest.Server, schema string) []movie {
	t.Helper()
	ms := sampleMovies(t)
	srv.Exec(t, fmt.Sprintf(`CREATE TABLE %s.movies (id integer PRIMARY KEY, title text NOT NULL, year integer, genres text[], summary text, rating numeric(3,1))`, schema))
	ctx := context.Background()
	conn, err := srv.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for start := 0; start < len(ms); start += 100 {
		var (
			vals []string
			args []any
		)
		for i, m := range ms[start:min(len(ms), start+100)] {
			vals = append(vals, fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d)", 6*i+1, 6*i+2, 6*i+3, 6*i+4, 6*i+5, 6*i+6))
			args = append(args, m.ID, m.Title, m.Year, m.Genres, m.Summary, m.Rating)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".movies VALUES "+strings.Join(vals, ","), args...); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

// query runs a one-value query on srv.
func query[T any](t *testing.T, srv *pgtest.Server, q string, args ...any) T {
	t.Helper()
	var v T
	srv.Scan(t, q, args, &v)
	return v
}

func writeBackOf(t *testing.T, m map[string]any) (written int, created string) {
	t.Helper()
	wb, ok := m["write_back"].(map[string]any)
	if !ok {
		t.Fatalf("no write_back in the summary: %v", m)
	}
	created, _ = wb["created_column"].(string)
	return num(wb, "written"), created
}

// guideWorkflow is the guide's workflow on a movies table of srv: embed
// with write-back, a re-run that does nothing, three changed summaries
// that are embedded and written back alone. It returns the schema.
func guideWorkflow(t *testing.T, srv *pgtest.Server, db, wantType string) string {
	s := server(t, ollamatest.Config{Slots: 4, Dims: 64})
	schema := srv.NewSchema(t)
	moviesTable(t, srv, schema)
	others := fmt.Sprintf("SELECT md5(string_agg(concat_ws('|', id, title, year, genres::text, summary, rating), ',' ORDER BY id)) FROM %s.movies", schema)
	before := query[string](t, srv, others)

	args := []string{"embed", "--source-db", srv.URL, "--sql", "SELECT id, title, year, genres, summary FROM " + schema + ".movies",
		"--write-back", schema + ".movies.embedding", "--text", moviesTemplate, "--host", s.URL(), "--db", db, "--json"}
	r := run(t, "", args...)
	if r.code != ExitOK {
		t.Fatalf("embed --source-db: exit %d\n%s", r.code, r.err)
	}
	m := r.summary(t)
	written, created := writeBackOf(t, m)
	if num(m, "read") != 300 || num(m, "failed") != 0 || written != 300 || created != wantType {
		t.Errorf("first run: %v", m)
	}
	if !strings.Contains(r.err, "created column "+schema+".movies.embedding "+wantType) {
		t.Errorf("the report does not say the column was created:\n%s", r.err)
	}
	if n := query[int64](t, srv, "SELECT count(*) FROM "+schema+".movies WHERE embedding IS NOT NULL"); n != 300 {
		t.Errorf("%d rows have an embedding, want 300", n)
	}
	if after := query[string](t, srv, others); after != before {
		t.Error("the write-back changed other columns")
	}

	s.Reset()
	r = run(t, "", args...)
	m = r.summary(t)
	written, _ = writeBackOf(t, m)
	if r.code != ExitOK || num(m, "requests") != 0 || s.Requests() != 0 || written != 0 {
		t.Errorf("re-run: exit %d, %d requests, %d written: %v", r.code, s.Requests(), written, m)
	}

	srv.Exec(t, "UPDATE "+schema+".movies SET summary = summary || ' A new ending.' WHERE id IN (3, 150, 299)")
	r = run(t, "", args...)
	m = r.summary(t)
	written, _ = writeBackOf(t, m)
	if r.code != ExitOK || num(m, "embedded") != 3 || written != 3 {
		t.Errorf("after 3 changed summaries: exit %d, %d embedded, %d written: %v", r.code, num(m, "embedded"), written, m)
	}
	return schema
}

// TestGuideWorkflowPostgreSQL: the guide's workflow on PostgreSQL 15
// without pgvector (vectors written back as real[]), salvo's own store in
// the same server.
func TestGuideWorkflowPostgreSQL(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	store := srv.Fresh(t)
	schema := guideWorkflow(t, srv, store, "real[]")
	r := run(t, "", "status", "--db", store, "--json")
	var st struct {
		Collections []struct{ Name string }
		Store       string
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || len(st.Collections) != 1 || st.Collections[0].Name != "movies" ||
		!strings.Contains(st.Store, "PostgreSQL 15") || !strings.Contains(st.Store, "no pgvector") {
		t.Errorf("status --db %s: %s (%v)", store, r.out, err)
	}
	if r := run(t, "", "export", "--db", store); r.code != ExitOK || strings.Count(r.out, "\n") != 300 {
		t.Errorf("export from PostgreSQL: exit %d, %d lines", r.code, strings.Count(r.out, "\n"))
	}
	if n := query[int32](t, srv, "SELECT array_length(embedding, 1) FROM "+schema+".movies WHERE id = 1"); n != 64 {
		t.Errorf("written vector has %d dimensions, want 64", n)
	}
}

// TestGuideWorkflowPgvector: the guide's workflow on PGlite with pgvector;
// the written vectors answer a nearest-neighbour query in the database.
func TestGuideWorkflowPgvector(t *testing.T) {
	srv := pgtest.PGlite(t)
	schema := guideWorkflow(t, srv, filepath.Join(t.TempDir(), "salvo.db"), "vector(64)")
	ctx := context.Background()
	conn, err := srv.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT title FROM %[1]s.movies ORDER BY embedding <=> (SELECT embedding FROM %[1]s.movies WHERE id = $1) LIMIT 5`, schema), 42)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for rows.Next() {
		var title string
		if err := rows.Scan(&title); err != nil {
			t.Fatal(err)
		}
		titles = append(titles, title)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := query[string](t, srv, "SELECT title FROM "+schema+".movies WHERE id = 42")
	if len(titles) != 5 || titles[0] != want {
		t.Errorf("nearest to movie 42: %q, want 5 titles starting with %q", titles, want)
	}
}

// TestSourceDBBadInput: each mistake stops the run with exit 1 and a
// message naming it, before anything is written to the user's database.
func TestSourceDBBadInput(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Slots: 2, Dims: 8})
	schema := srv.NewSchema(t)
	moviesTable(t, srv, schema)
	srv.Exec(t, fmt.Sprintf("ALTER TABLE %[1]s.movies ADD COLUMN note text, ADD COLUMN small real[]; UPDATE %[1]s.movies SET small = '{1,2,3}' WHERE id = 1", schema))
	db := filepath.Join(t.TempDir(), "salvo.db")
	sel := "SELECT id, title FROM " + schema + ".movies"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"failing SQL", []string{"--source-db", srv.URL, "--sql", "SELECT id, titel FROM " + schema + ".movies"}, `column "titel" does not exist`},
		{"no id column", []string{"--source-db", srv.URL, "--sql", "SELECT title FROM " + schema + ".movies"}, `no column "id"`},
		{"no write-back table", []string{"--source-db", srv.URL, "--sql", sel, "--write-back", schema + ".films.embedding"}, "does not exist"},
		{"column of another type", []string{"--source-db", srv.URL, "--sql", sel, "--write-back", schema + ".movies.note"}, "column note is text"},
		{"column of another dimension", []string{"--source-db", srv.URL, "--sql", sel, "--write-back", schema + ".movies.small"}, "holds 3-dimensional vectors, the model gives 8"},
		{"refused connection", []string{"--source-db", "postgres://salvo@127.0.0.1:1/shop?connect_timeout=5", "--sql", sel}, "cannot connect to PostgreSQL"},
		{"write-back without source", []string{"--write-back", "movies.embedding", "--sql", sel}, "--source-db"},
	}
	for _, tt := range tests {
		args := append([]string{"embed", "--fields", "title", "--host", s.URL(), "--db", db}, tt.args...)
		r := run(t, "", args...)
		if r.code != ExitFatal || !strings.Contains(r.err, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", tt.name, r.code, r.err, tt.want)
		}
	}
	if n := query[int64](t, srv, "SELECT count(*) FROM "+schema+".movies WHERE note IS NOT NULL OR small IS DISTINCT FROM (CASE WHEN id = 1 THEN '{1,2,3}'::real[] END)"); n != 0 {
		t.Errorf("%d rows were written", n)
	}
	if n := query[int64](t, srv, "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'embedding'", schema); n != 0 {
		t.Error("a column was created")
	}
}

// TestSourceDBSQLite: a catalog in a SQLite file, its vectors written back
// as float32 blobs.
func TestSourceDBSQLite(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 2, Dims: 16})
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, year INTEGER, genres TEXT, summary TEXT)`); err != nil {
		t.Fatal(err)
	}
	ms := sampleMovies(t)[:50]
	for _, m := range ms {
		g, _ := json.Marshal(m.Genres)
		if _, err := db.Exec(`INSERT INTO movies VALUES (?, ?, ?, ?, ?)`, m.ID, m.Title, m.Year, string(g), m.Summary); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"embed", "--source-db", "sqlite:" + path, "--sql", "SELECT id, title, year, summary FROM movies ORDER BY id",
		"--text", "{{.title}} ({{.year}}): {{.summary}}", "--write-back", "movies.embedding", "--host", s.URL(), "--db", filepath.Join(dir, "salvo.db"), "--json"}
	r := run(t, "", args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	m := r.summary(t)
	if written, created := writeBackOf(t, m); num(m, "read") != 50 || written != 50 || created != "BLOB" {
		t.Errorf("first run: %v", m)
	}
	var n, size int
	if err := db.QueryRow(`SELECT count(*), min(length(embedding)) FROM movies WHERE embedding IS NOT NULL`).Scan(&n, &size); err != nil || n != 50 || size != 16*4 {
		t.Errorf("%d rows with an embedding of %d bytes (%v), want 50 of 64", n, size, err)
	}
	// A row whose vector the user cleared is written again, with no request.
	if _, err := db.Exec(`UPDATE movies SET embedding = NULL WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	s.Reset()
	r = run(t, "", args...)
	m = r.summary(t)
	if written, _ := writeBackOf(t, m); r.code != ExitOK || written != 1 || s.Requests() != 0 {
		t.Errorf("re-run after clearing one row: exit %d, %d requests, %v", r.code, s.Requests(), m)
	}
	// Text and numbers render as in files: the collection is named after
	// the write-back table.
	r = run(t, "", "status", "--db", filepath.Join(dir, "salvo.db"), "--json")
	if !strings.Contains(r.out, `"name":"movies"`) || !strings.Contains(r.out, `"count":50`) {
		t.Errorf("status: %s", r.out)
	}
}

// TestWriteBackCreatesColumnWhileReading: on a table larger than salvo
// reads ahead, the column is created while the query's rows are still
// being read (ALTER TABLE must not wait for the reader's lock).
func TestWriteBackCreatesColumnWhileReading(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Slots: 4, Dims: 8})
	schema := srv.NewSchema(t)
	srv.Exec(t, fmt.Sprintf("CREATE TABLE %s.big AS SELECT i AS id, 'movie ' || i AS title FROM generate_series(1, 20000) AS i", schema))
	done := make(chan result, 1)
	go func() {
		done <- run(t, "", "embed", "--source-db", srv.URL, "--sql", "SELECT id, title FROM "+schema+".big", "--fields", "title",
			"--write-back", schema+".big.embedding", "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "salvo.db"), "--json")
	}()
	select {
	case r := <-done:
		m := r.summary(t)
		if written, _ := writeBackOf(t, m); r.code != ExitOK || written != 20000 {
			t.Errorf("exit %d, %d written: %s", r.code, written, r.err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("embed with a write-back column to create did not finish in 2 minutes: the reader and the ALTER TABLE wait for each other")
	}
}

// TestWriteBackDuplicateIDs: IDs that come twice in the query's result are
// reported, and their rows written once.
// Duplicate IDs in the query's result follow --on-duplicate: by default the
// later rows fail (exit 2) and each row is written once; with first the
// first row wins and the run succeeds.
func TestWriteBackDuplicateIDs(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Slots: 4, Dims: 8})
	for _, tc := range []struct {
		policy       string
		code         int
		failed, dups int
	}{
		{"", ExitPartial, 3, 0},
		{"first", ExitOK, 0, 3},
	} {
		schema := srv.NewSchema(t)
		moviesTable(t, srv, schema)
		q := fmt.Sprintf("SELECT id, title FROM %[1]s.movies UNION ALL SELECT id, title || ' again' FROM %[1]s.movies WHERE id <= 3", schema)
		args := []string{"embed", "--source-db", srv.URL, "--sql", q, "--fields", "title", "--write-back", schema + ".movies.embedding",
			"--host", s.URL(), "--db", filepath.Join(t.TempDir(), "salvo.db"), "--json"}
		if tc.policy != "" {
			args = append(args, "--on-duplicate", tc.policy)
		}
		r := run(t, "", args...)
		m := r.summary(t)
		wb, _ := m["write_back"].(map[string]any)
		if r.code != tc.code || num(m, "read") != 303 || num(wb, "written") != 300 || num(m, "failed") != tc.failed || num(m, "duplicates") != tc.dups {
			t.Errorf("--on-duplicate %q: exit %d, summary %v\n%s", tc.policy, r.code, m, r.err)
		}
	}
}

func FuzzQueryTable(f *testing.F) {
	for _, q := range []string{"SELECT id FROM movies", "select * from public.movies m", `SELECT 1 FROM "Films"`, "SELECT 1", "from"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		name := queryTable(q)
		if name == "" || strings.ContainsAny(name, ". \"") {
			t.Errorf("queryTable(%q) = %q", q, name)
		}
	})
}
