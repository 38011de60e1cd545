package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	salvolib "github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
)

// vegaTitles returns 500 distinct titles of the Vega catalog (spread over
// its alphabet; no other record has the same words in the same order) and
// the line of the record of each (salvo embed names a record without an
// ID field FILE:LINE).
func vegaTitles(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byTitle, count := map[string]string{}, map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		title := fmt.Sprint(m["Title"])
		byTitle[title] = fmt.Sprint(n)
		count[search.Normal(title)]++
	}
	var distinct []string
	for title := range byTitle {
		if count[search.Normal(title)] == 1 && search.Normal(title) != "" {
			distinct = append(distinct, title)
		}
	}
	slices.Sort(distinct)
	out := map[string]string{}
	for i := range 500 {
		title := distinct[i*len(distinct)/500]
		out[title] = byTitle[title]
	}
	return out
}

// TestHybridFindsExactTitles: the Vega movie catalog embedded with a model
// whose vectors know no meaning (ollamatest's; with SALVO_TEST_MODEL also
// the fixture model on a real Ollama), into SQLite and PostgreSQL 15: the
// exact title as the query finds its movie first with salvo search --mode
// hybrid (the default) for at least 99% of 500 distinct titles.
func TestHybridFindsExactTitles(t *testing.T) {
	type server struct{ name, host, model string }
	fake := ollamatest.New(ollamatest.Config{Dims: 64})
	t.Cleanup(fake.Close)
	servers := []server{{"ollamatest", fake.URL(), ollamatest.DefaultModel}}
	if host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL"); host != "" && model != "" {
		servers = append(servers, server{"real Ollama", host, model})
	} else {
		t.Log(`the real Ollama is skipped: eval "$(scripts/real-ollama.sh up)" sets OLLAMA_HOST and SALVO_TEST_MODEL`)
	}
	catalog := vegaCatalog(t)
	titles := vegaTitles(t, catalog)
	pg := pgtest.PostgreSQL(t)
	ctx := context.Background()
	for _, srv := range servers {
		for _, db := range []string{"sqlite", "postgres"} {
			t.Run(srv.name+"/"+db, func(t *testing.T) {
				target := filepath.Join(t.TempDir(), "vega.db")
				if db == "postgres" {
					target = pg.Fresh(t)
				}
				embedOK(t, catalog, "--host", srv.host, "--model", srv.model, "--db", target,
					"--text", vegaTemplate, "--keep", "Title,Director,Major Genre")

				// The command lines, with each mode.
				const title = "The Matrix Reloaded"
				for _, mode := range []string{"hybrid", "text", "vector"} {
					r := salvo(t, "search", "--db", target, "--host", srv.host, "--mode", mode, "--k", "3", "--json", title)
					var out struct{ Results []search.Result }
					if r.code != cli.ExitOK || json.Unmarshal([]byte(r.out), &out) != nil || len(out.Results) != 3 {
						t.Fatalf("salvo search --mode %s: exit %d, %s\n%s", mode, r.code, r.out, r.err)
					}
					if got := string(out.Results[0].Fields); mode != "vector" && !strings.Contains(got, `"Title":"`+title+`"`) {
						t.Errorf("salvo search --mode %s %q: first %s", mode, title, got)
					}
				}
				if r := salvo(t, "search", "--db", target, "--mode", "fuzzy", title); r.code != cli.ExitFatal || !strings.Contains(r.err, "--mode") {
					t.Errorf("salvo search --mode fuzzy: exit %d, %s", r.code, r.err)
				}

				// 500 titles, through the library: one load of the collection.
				var st salvolib.Store
				var err error
				if db == "postgres" {
					st, err = postgres.OpenReadOnly(ctx, target)
				} else {
					st, err = sqlite.OpenReadOnly(target)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer st.(interface{ Close() error }).Close()
				c, err := search.Open(ctx, st, "vega", search.Options{})
				if err != nil {
					t.Fatal(err)
				}
				emb, err := ollama.New(srv.host, ollama.Options{Model: srv.model})
				if err != nil {
					t.Fatal(err)
				}
				first := 0
				for title, id := range titles {
					rs, err := c.Find(ctx, emb, title, search.QueryPrefixFor(c.Info), 5, nil, search.ModeHybrid)
					if err != nil {
						t.Fatalf("search %q: %v", title, err)
					}
					if len(rs) > 0 && strings.HasSuffix(rs[0].ID, ":"+id) {
						first++
					} else if len(rs) > 0 {
						t.Logf("%q (line %s) is not first: %s is, with %s", title, id, rs[0].ID, rs[0].Fields)
					}
				}
				t.Logf("%d of %d exact titles first", first, len(titles))
				if first*100 < 99*len(titles) {
					t.Errorf("hybrid finds %d of %d exact titles first, want at least 99%%", first, len(titles))
				}
			})
		}
	}
}
