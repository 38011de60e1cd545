package cli

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

const vegaText = `{{.Title}} ({{index . "Release Date"}}), {{index . "Major Genre"}}`

// Two processes (here: two runs in one process) share the 3,201 records of
// the test catalog through River: every record is stored, each text is
// sent once, the jobs are all done, and a later run of the same command
// starts over and finds everything stored.
func TestDistributedRunsShareTheCatalog(t *testing.T) {
	db := pgtest.PostgreSQL(t).Fresh(t)
	in := repoFile(t, "testdata/catalogs/vega-movies.jsonl")
	srvs := []*ollamatest.Server{
		server(t, ollamatest.Config{Slots: 2, CostPerInput: 100 * time.Microsecond}),
		server(t, ollamatest.Config{Slots: 2, CostPerInput: 100 * time.Microsecond}),
	}
	args := func(s *ollamatest.Server) []string {
		return []string{"embed", in, "--distributed", "--job-size", "400", "--lease", "20s", "--db", db,
			"--host", s.URL(), "--text", vegaText, "--json"}
	}
	var wg sync.WaitGroup
	res := make([]result, len(srvs))
	for i, s := range srvs {
		wg.Go(func() { res[i] = run(t, "", args(s)...) })
	}
	wg.Wait()
	read, sent := 0, 0
	for i, r := range res {
		if r.code != ExitOK {
			t.Fatalf("process %d: exit %d\n%s", i, r.code, r.err)
		}
		m := r.summary(t)
		read += num(m, "read")
		jobs, _ := m["jobs"].(map[string]any)
		if num(jobs, "total") != 9 {
			t.Errorf("process %d: jobs %v, want 9 in all", i, jobs)
		}
		sent += srvs[i].Stats().Inputs
	}
	if read != 3201 {
		t.Errorf("the processes read %d records together, want each of the 3201 once", read)
	}
	if sent > 3201 {
		t.Errorf("the servers embedded %d texts, want at most 3201", sent)
	}
	var st struct {
		Collections []struct{ Count int }
		Jobs        []cluster.Counts
	}
	r := run(t, "", "status", "--db", db, "--json")
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || len(st.Collections) != 1 || st.Collections[0].Count != 3201 {
		t.Fatalf("status: %s (%v)", r.out, err)
	}
	if len(st.Jobs) != 1 || st.Jobs[0].Done != 9 || st.Jobs[0].Running+st.Jobs[0].Waiting+st.Jobs[0].Failed != 0 || st.Jobs[0].Collection != "vega-movies" {
		t.Errorf("status jobs: %+v, want 9 done", st.Jobs)
	}
	if r := run(t, "", "status", "--db", db); !strings.Contains(r.out, "DONE") || !strings.Contains(r.out, "vega-movies") {
		t.Errorf("status shows no jobs:\n%s", r.out)
	}

	// The same command after the end: a new run, which sends nothing.
	r = run(t, "", args(srvs[0])...)
	if m := r.summary(t); r.code != ExitOK || num(m, "read") != 3201 || num(m, "embedded") != 0 {
		t.Errorf("the run after the end: exit %d, %s", r.code, r.out)
	}
}

func TestDistributedFlagMistakes(t *testing.T) {
	in := repoFile(t, "testdata/catalogs/vega-movies.jsonl")
	s := server(t, ollamatest.Config{})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{in, "--db", t.TempDir() + "/x.db"}, "--db postgres://"},
		{[]string{in, "--db", "postgres://localhost/x", "--limit", "5"}, "--limit"},
		{[]string{in, "--db", "postgres://localhost/x", "--job-size", "0"}, "--job-size"},
	} {
		r := run(t, "", append([]string{"embed", "--distributed", "--host", s.URL(), "--text", vegaText}, c.args...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: exit %d, %q; want 1 and %q", c.args, r.code, r.err, c.want)
		}
	}
}

func TestRecordRangeAndRenamed(t *testing.T) {
	seq := func(yield func(engine.Input) bool) {
		for i := 1; i <= 10; i++ {
			w := "/a/m.jsonl:" + string(rune('0'+i%10))
			if !yield(engine.Input{ID: w, Where: w}) {
				return
			}
		}
	}
	var got []string
	same := func(in engine.Input) engine.Input { return in }
	for in := range renamed(recordRange(seq, 2, 5, same), "/a/m.jsonl", "m.jsonl") {
		got = append(got, in.ID)
	}
	if want := []string{"m.jsonl:3", "m.jsonl:4", "m.jsonl:5"}; !slices.Equal(got, want) {
		t.Errorf("range [2,5) renamed: %v, want %v", got, want)
	}
	n := 0
	for range recordRange(seq, 8, 0, same) {
		n++
	}
	if n != 2 {
		t.Errorf("range [8,end): %d records, want 2", n)
	}
}

// --source-db: two runs split the rows of a query into ID ranges; every
// row is stored once, and a query whose --id is not an integer is refused.
func TestDistributedSourceDBByIDRanges(t *testing.T) {
	db := pgtest.PostgreSQL(t).Fresh(t)
	path := filepath.Join(t.TempDir(), "shop.db")
	lite, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, err := lite.Exec(`CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, year INTEGER, summary TEXT)`); err != nil {
		t.Fatal(err)
	}
	ms := sampleMovies(t)
	for _, m := range ms {
		if _, err := lite.Exec(`INSERT INTO movies VALUES (?, ?, ?, ?)`, m.ID, m.Title, m.Year, m.Summary); err != nil {
			t.Fatal(err)
		}
	}
	srvs := []*ollamatest.Server{server(t, ollamatest.Config{Slots: 2, Dims: 16}), server(t, ollamatest.Config{Slots: 2, Dims: 16})}
	args := func(s *ollamatest.Server, query string) []string {
		return []string{"embed", "--source-db", "sqlite:" + path, "--sql", query, "--distributed", "--job-size", "40",
			"--text", "{{.title}} ({{.year}}): {{.summary}}", "--host", s.URL(), "--db", db, "--json"}
	}
	var wg sync.WaitGroup
	res := make([]result, len(srvs))
	for i, s := range srvs {
		wg.Go(func() { res[i] = run(t, "", args(s, "SELECT id, title, year, summary FROM movies")...) })
	}
	wg.Wait()
	read, sent := 0, 0
	for i, r := range res {
		if r.code != ExitOK {
			t.Fatalf("process %d: exit %d\n%s", i, r.code, r.err)
		}
		read += num(r.summary(t), "read")
		sent += srvs[i].Stats().Inputs
	}
	want := (len(ms) + 39) / 40
	var st struct {
		Collections []struct{ Count int }
		Jobs        []cluster.Counts
	}
	r := run(t, "", "status", "--db", db, "--json")
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || len(st.Collections) != 1 || st.Collections[0].Count != len(ms) ||
		len(st.Jobs) != 1 || st.Jobs[0].Done != want {
		t.Errorf("status: %s (%v), want %d records and %d jobs done", r.out, err, len(ms), want)
	}
	if read != len(ms) || sent > len(ms) {
		t.Errorf("the runs read %d rows and sent %d texts, want each of the %d once", read, sent, len(ms))
	}
	r = run(t, "", args(srvs[0], "SELECT title AS id, year, summary FROM movies")...)
	if r.code != ExitFatal || !strings.Contains(r.err, "must hold integers") {
		t.Errorf("a text --id column: exit %d, %s", r.code, r.err)
	}
}

// BenchmarkDistributed: the 3,201-record catalog against servers of 500
// texts/s each (one slot, 2 ms per text): one plain run on one server, then
// 1 and 3 --distributed runs (one server each) sharing the catalog through
// River on PostgreSQL 15.
//
//	go test -run='^$' -bench=Distributed -benchtime=3x ./cmd/salvo/internal/cli
func BenchmarkDistributed(b *testing.B) {
	in := repoFile(b, "testdata/catalogs/vega-movies.jsonl")
	pg := pgtest.PostgreSQL(b)
	for _, bc := range []struct {
		name    string
		workers int
		dist    bool
	}{{"plain-1", 1, false}, {"distributed-1", 1, true}, {"distributed-3", 3, true}} {
		b.Run(bc.name, func(b *testing.B) {
			var secs float64
			for b.Loop() {
				b.StopTimer()
				db := pg.Fresh(b)
				srvs := make([]*ollamatest.Server, bc.workers)
				for i := range srvs {
					srvs[i] = server(b, ollamatest.Config{Slots: 1, CostPerInput: 2 * time.Millisecond})
				}
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for _, s := range srvs {
					wg.Go(func() {
						args := []string{"embed", in, "--db", db, "--host", s.URL(), "--text", vegaText, "--quiet"}
						if bc.dist {
							args = append(args, "--distributed", "--job-size", "200")
						}
						if r := run(b, "", args...); r.code != ExitOK {
							b.Errorf("exit %d: %s", r.code, r.err)
						}
					})
				}
				wg.Wait()
				secs += time.Since(start).Seconds()
			}
			b.ReportMetric(float64(b.N)*3201/secs, "emb/s")
		})
	}
}
