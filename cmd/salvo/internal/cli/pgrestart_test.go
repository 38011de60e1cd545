package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// A PostgreSQL restart (pg_ctl restart -m fast) in the middle of a run,
// plain and --distributed: the batches whose connection was lost are
// written again once the server is back, every record is stored once, and
// the run exits 0. The server's gate holds the run's first request until
// the restart is done, so the restart happens mid-run.
func TestPostgreSQLRestartMidRun(t *testing.T) {
	srv, err := pgtest.StartPostgreSQL(false) // a server of its own: the restart must not hit other tests
	if err != nil {
		t.Skipf("no PostgreSQL of the test's own: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	var lines strings.Builder
	for i := range 300 {
		fmt.Fprintf(&lines, `{"id":%d,"text":"record number %d"}`+"\n", i, i)
	}
	in := writeFile(t, t.TempDir(), "m.jsonl", lines.String())
	type outage struct {
		name       string
		down, back func() error
	}
	outages := []outage{
		{"pg_ctl restart -m fast", srv.Restart, func() error { return nil }},
		// Down while the first batch is answered, up once it was: the
		// batch's write meets a server that refuses connections.
		{"stop, then start", srv.Down, srv.Up},
	}
	for _, o := range outages {
		for _, mode := range [][]string{nil, {"--distributed", "--job-size", "100", "--lease", "30s"}} {
			name := fmt.Sprint(o.name, " ", mode)
			db := srv.Fresh(t)
			s := server(t, ollamatest.Config{Slots: 1})
			release := s.Gate()
			done := make(chan result, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			go func() {
				args := append([]string{"embed", in, "--db", db, "--host", s.URL(), "--batch-size", "25", "--json", "--quiet",
					"--failures", filepath.Join(t.TempDir(), "f.jsonl")}, mode...)
				r := run(t, "", args...)
				cancel()
				done <- r
			}()
			if err := s.Await(ctx, func(st ollamatest.Stats) bool { return st.Holding >= 1 }); err != nil {
				release()
				r := <-done
				t.Fatalf("%s: the run sent no request: exit %d, %s", name, r.code, r.err)
			}
			if err := o.down(); err != nil {
				release()
				<-done
				t.Fatal(err)
			}
			release()
			if err := s.Await(ctx, func(st ollamatest.Stats) bool { return st.Embedded >= 25 }); err != nil {
				t.Errorf("%s: the first batch was not answered: %v", name, err)
			}
			if err := o.back(); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.code != ExitOK {
				t.Fatalf("%s: exit %d, %s", name, r.code, r.err)
			}
			m := r.summary(t)
			var n, distinct int
			srv.Scan(t, "SELECT count(*), count(DISTINCT id) FROM "+schemaOf(t, db)+".items", nil, &n, &distinct)
			if n != 300 || distinct != 300 || num(m, "failed") != 0 {
				t.Errorf("%s: %d items (%d IDs) stored, report %s; want each of the 300 once", name, n, distinct, r.out)
			}
		}
	}
}
