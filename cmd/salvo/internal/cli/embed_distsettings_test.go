package cli

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// fillingRun starts `salvo embed args…` against a gated server and returns
// once the run is at its first embedding request (it has claimed the
// collection and, with --distributed, inserted its jobs), with a function
// that lets it finish and returns its result.
func fillingRun(t *testing.T, args ...string) (finish func() result) {
	t.Helper()
	s := server(t, ollamatest.Config{Slots: 1})
	release := s.Gate()
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() {
		r := run(t, "", append(args, "--host", s.URL())...)
		cancel() // a run that ends before its first request ends the wait
		done <- r
	}()
	if err := s.Await(ctx, func(st ollamatest.Stats) bool { return st.Holding >= 1 }); err != nil {
		release()
		r := <-done
		t.Fatalf("the first run sent no request: exit %d, %s", r.code, r.err)
	}
	return func() result { release(); return <-done }
}

// A --distributed run whose settings differ from those of the run filling
// the collection is refused, naming the setting; nothing of it is stored.
func TestDistributedRefusesOtherSettings(t *testing.T) {
	db := pgtest.PostgreSQL(t).Fresh(t)
	in := repoFile(t, "testdata/catalogs/vega-movies.jsonl")
	base := []string{"embed", in, "--distributed", "--job-size", "400", "--db", db, "--text", vegaText, "--quiet"}
	finish := fillingRun(t, base...)
	other := server(t, ollamatest.Config{})
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--id", "Title"}, "--id"},
		{[]string{"--keep", "Title"}, "--keep"},
		{[]string{"--api", "embed"}, "--api"},
		{[]string{"--truncate=false"}, "--truncate"},
		{[]string{"--force"}, "--force"},
		{[]string{"--dimensions", "8"}, "--dimensions"},
		{[]string{"--job-size", "300"}, "--job-size"},
	} {
		r := run(t, "", append(append(base, "--host", other.URL()), c.flags...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, c.want+" ") || !strings.Contains(r.err, "vega-movies") {
			t.Errorf("%v while another run fills the collection: exit %d, %q; want 1 naming %s", c.flags, r.code, r.err, c.want)
		}
	}
	if n := other.Stats().Requests; n != 0 {
		t.Errorf("the refused runs sent %d requests", n)
	}
	if r := finish(); r.code != ExitOK {
		t.Fatalf("the first run: exit %d, %s", r.code, r.err)
	}
	var n, titled int
	pgtest.PostgreSQL(t).Scan(t, "SELECT count(*), count(*) FILTER (WHERE i.id NOT LIKE '%vega-movies.jsonl:%') FROM "+schemaOf(t, db)+".items i", nil, &n, &titled)
	if n != 3201 || titled != 0 {
		t.Errorf("the collection holds %d records, %d of them not under FILE:LINE IDs; want the 3201 of the first run only", n, titled)
	}
	// The first run is over: the same flags as the refused one now run.
	if r := run(t, "", append(append(base, "--host", other.URL()), "--job-size", "300")...); r.code != ExitOK {
		t.Errorf("a run after the end: exit %d, %s", r.code, r.err)
	}
}

// A run without --distributed on a PostgreSQL collection that another
// process fills says so and suggests --distributed; a --distributed run
// while a plain run fills it is refused too.
func TestPlainRunOnCollectionBeingFilled(t *testing.T) {
	in := repoFile(t, "testdata/catalogs/vega-movies.jsonl")
	other := server(t, ollamatest.Config{})
	for _, first := range []string{"distributed", "plain"} {
		plain := []string{"embed", in, "--db", pgtest.PostgreSQL(t).Fresh(t), "--text", vegaText, "--quiet"}
		args := plain
		if first == "distributed" {
			args = append(args, "--distributed")
		}
		finish := fillingRun(t, args...)
		r := run(t, "", append(plain, "--host", other.URL())...)
		if r.code != ExitFatal || !strings.Contains(r.err, "being filled by another process") || !strings.Contains(r.err, "--distributed") {
			t.Errorf("a plain run while a %s run fills the collection: exit %d, %q; want 1 suggesting --distributed", first, r.code, r.err)
		}
		if first == "plain" {
			r := run(t, "", append(plain, "--host", other.URL(), "--distributed")...)
			if r.code != ExitFatal || !strings.Contains(r.err, "without --distributed") {
				t.Errorf("a --distributed run while a plain run fills the collection: exit %d, %q", r.code, r.err)
			}
		}
		if r := finish(); r.code != ExitOK {
			t.Fatalf("the %s run: exit %d, %s", first, r.code, r.err)
		}
	}
	if n := other.Stats().Requests; n != 0 {
		t.Errorf("the refused runs sent %d requests", n)
	}
}

// schemaOf is the ?schema= of a pgtest URL.
func schemaOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Query().Get("schema") == "" {
		t.Fatalf("%s names no schema (%v)", rawURL, err)
	}
	return u.Query().Get("schema")
}

// A --distributed run on a schema River cannot use is refused before
// anything is created: no schema, no salvo tables, no River tables.
func TestDistributedBadSchemaCreatesNothing(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	in := repoFile(t, "testdata/catalogs/vega-movies.jsonl")
	s := server(t, ollamatest.Config{})
	for _, schema := range []string{`we"ird`, "with-dash", strings.Repeat("s", 50)} {
		t.Cleanup(func() { srv.Exec(t, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
		u, _ := url.Parse(srv.URL)
		q := u.Query()
		q.Set("schema", schema)
		u.RawQuery = q.Encode()
		r := run(t, "", "embed", in, "--distributed", "--db", u.String(), "--host", s.URL(), "--text", vegaText)
		if r.code != ExitFatal || !strings.Contains(r.err, "schema") || !strings.Contains(r.err, "letters") {
			t.Errorf("?schema=%s: exit %d, %q; want 1 saying which schema names work", schema, r.code, r.err)
		}
		var n int
		srv.Scan(t, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", []any{schema}, &n)
		if n != 0 {
			t.Errorf("?schema=%s: the refused run created the schema", schema)
		}
	}
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("the refused runs sent %d requests", n)
	}
}

// The --json report of a --distributed process covers its whole run: the
// per-host figures add up to the process's, over all its jobs.
func TestDistributedPerHostCoversTheRun(t *testing.T) {
	db := pgtest.PostgreSQL(t).Fresh(t)
	in := repoFile(t, "testdata/catalogs/vega-movies.jsonl")
	a, b := server(t, ollamatest.Config{Slots: 2}), server(t, ollamatest.Config{Slots: 2})
	r := run(t, "", "embed", in, "--distributed", "--job-size", "400", "--db", db, "--text", vegaText,
		"--host", a.URL()+","+b.URL(), "--json", "--quiet")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var rep struct {
		Embedded, Requests int
		PerHost            []struct {
			Name               string
			Embedded, Requests int
		} `json:"per_host"`
		Jobs struct{ Worked int }
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Jobs.Worked != 9 || rep.Embedded == 0 || len(rep.PerHost) != 2 {
		t.Fatalf("report %s: want 9 jobs worked, 2 hosts", r.out)
	}
	emb, req := 0, 0
	for i, h := range rep.PerHost {
		emb += h.Embedded
		req += h.Requests
		if s := []*ollamatest.Server{a, b}[i].Stats(); h.Embedded != s.Embedded {
			t.Errorf("per_host %s: %d embedded, the server answered %d", h.Name, h.Embedded, s.Embedded)
		}
	}
	if emb != rep.Embedded || req != rep.Requests {
		t.Errorf("per_host adds up to %d embedded and %d requests; the run: %d and %d", emb, req, rep.Embedded, rep.Requests)
	}
}
