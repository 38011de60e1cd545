package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/postgres/pgtest"
)

// TestRealWriteBackPgvector: the guide's catalog in a table of PGlite with
// pgvector, embedded by the real Ollama and written back into a vector
// column; a nearest-neighbour query in the database finds each movie first
// for itself, and a re-run sends nothing.
func TestRealWriteBackPgvector(t *testing.T) {
	host, model := realServer(t)
	srv := pgtest.PGlite(t)
	schema := srv.NewSchema(t)
	const n = 40
	ctx := context.Background()
	conn, err := srv.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE "+schema+".movies (id integer PRIMARY KEY, title text, year integer, genres text[], summary text)"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(moviesFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for i := 0; i < n && sc.Scan(); i++ {
		var m struct {
			ID      int
			Title   string
			Year    int
			Genres  []string
			Summary string
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".movies VALUES ($1, $2, $3, $4, $5)", m.ID, m.Title, m.Year, m.Genres, m.Summary); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--source-db", srv.URL, "--sql", "SELECT id, title, year, genres, summary FROM " + schema + ".movies",
		"--write-back", schema + ".movies.embedding", "--host", host, "--model", model, "--text", moviesTemplate,
		"--db", filepath.Join(t.TempDir(), "salvo.db")}
	s, r := embedOK(t, args...)
	if s.Read != n || s.Embedded+s.Cached != n || !strings.Contains(r.err, "created column "+schema+".movies.embedding vector(384)") {
		t.Fatalf("first run: %+v\n%s", s, r.err)
	}
	var dims int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".movies WHERE vector_dims(embedding) = 384").Scan(&dims); err != nil || dims != n {
		t.Errorf("%d rows with a 384-dim vector (%v), want %d", dims, err, n)
	}
	for _, id := range []int{1, 17, 40} {
		var first int
		q := fmt.Sprintf("SELECT id FROM %[1]s.movies ORDER BY embedding <=> (SELECT embedding FROM %[1]s.movies WHERE id = $1) LIMIT 5", schema)
		if err := conn.QueryRow(ctx, q, id).Scan(&first); err != nil || first != id {
			t.Errorf("nearest to movie %d: %d (%v), want itself", id, first, err)
		}
	}
	if s, _ := embedOK(t, args...); s.Requests != 0 || s.Cached != n {
		t.Errorf("re-run: %+v, want no requests", s)
	}
}
