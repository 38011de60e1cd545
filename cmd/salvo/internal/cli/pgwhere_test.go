package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// --where on every store: with 1% of the records matching, search and
// similar return 10 of them, on SQLite, PostgreSQL (salvo scans) and PGlite
// with pgvector (the filter runs in SQL, on the HNSW index).
func TestWhereOnEveryStore(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}, Dims: 64})
	var b strings.Builder
	for i := range 1000 {
		tag := "common"
		if i%100 == 0 {
			tag = "rare"
		}
		fmt.Fprintf(&b, `{"id":%d,"title":"record number %d","tag":%q}`+"\n", i, i, tag)
	}
	in := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, db string) {
		t.Helper()
		if r := run(t, "", "embed", in, "--host", s.URL(), "--model", model, "--db", db, "--text", "{{.title}}", "--keep", "title,tag", "--quiet"); r.code != ExitOK {
			t.Fatalf("embed --db %s: exit %d: %s", db, r.code, r.err)
		}
		for _, args := range [][]string{{"search", "--host", s.URL(), "record number 5"}, {"similar", "5"}, {"similar", "100"}} {
			out := decodeResults(t, run(t, "", append(args, "--db", db, "--k", "10", "--json", "--where", "tag = rare")...))
			want := 10
			if args[1] == "100" {
				want = 9 // the record itself is rare
			}
			if len(out.Results) != want {
				t.Errorf("%s %s --where 'tag = rare': %d results, want %d", args[0], args[1], len(out.Results), want)
			}
			for _, r := range out.Results {
				if r.Fields["tag"] != "rare" || r.ID == args[1] {
					t.Errorf("%s %s --where 'tag = rare': %s %v", args[0], args[1], r.ID, r.Fields)
				}
			}
		}
	}
	t.Run("SQLite", func(t *testing.T) { check(t, filepath.Join(t.TempDir(), "w.db")) })
	for _, srv := range []func(testing.TB) *pgtest.Server{pgtest.PostgreSQL, pgtest.PGlite} {
		srv := srv(t)
		t.Run(srv.Name, func(t *testing.T) { check(t, srv.Fresh(t)) })
	}
}
