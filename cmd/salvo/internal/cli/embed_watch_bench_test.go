package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// watcherFor is the watcher of `salvo embed ARGS`, without its loop.
func watcherFor(tb testing.TB, args ...string) *watcher {
	tb.Helper()
	stdio := Stdio{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, IsTerminal: func() bool { return false }}
	f := &embedFlags{args: append([]string{"embed"}, args...)}
	fs := newFlagSet("embed", embedHelp, stdio)
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		tb.Fatal(err)
	}
	if err := checkWatch(f, fs.Changed, fs.Args()); err != nil {
		tb.Fatal(err)
	}
	w := &watcher{f: f, changed: fs.Changed, files: fs.Args(), stdio: stdio}
	tb.Cleanup(w.close)
	return w
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWatchPoll is one poll of --watch over a PostgreSQL 15 table of
// 100,000 unchanged rows ($SALVO_BENCH_ROWS to change it), with the
// write-back: reading every row, and with --changed-since (which reads
// none); and reading every row without the write-back. It reports salvo's CPU time per poll (the database's is not
// counted) and fails if a poll sends a request.
//
//	go test -run '^$' -bench BenchmarkWatchPoll -benchtime 5x ./cmd/salvo/internal/cli/
func BenchmarkWatchPoll(b *testing.B) {
	rows := 100_000
	if n, err := strconv.Atoi(os.Getenv("SALVO_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	srv := pgtest.PostgreSQL(b)
	s := server(b, ollamatest.Config{Dims: 8})
	schema := srv.NewSchema(b)
	srv.Exec(b, fmt.Sprintf(`CREATE TABLE %s.movies (id integer PRIMARY KEY, title text NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`, schema))
	srv.Exec(b, fmt.Sprintf(`INSERT INTO %s.movies (id, title) SELECT i, 'movie ' || i FROM generate_series(1, %d) AS i`, schema, rows))
	db := b.TempDir() + "/salvo.db"
	base := []string{"--source-db", srv.URL, "--sql", "SELECT id, title, updated_at FROM " + schema + ".movies", "--fields", "title",
		"--host", s.URL(), "--db", db, "--watch", "1s"}
	writeBack := []string{"--write-back", schema + ".movies.embedding"}
	ctx := context.Background()
	for _, mode := range []struct {
		name  string
		extra []string
	}{
		{"every-row", writeBack},
		{"changed-since", append([]string{"--changed-since", "updated_at"}, writeBack...)},
		// The same collection's vectors, into another collection without
		// the write-back: its first poll finds every vector cached.
		{"every-row-no-write-back", []string{"--collection", "nowb"}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			w := watcherFor(b, append(base, mode.extra...)...)
			if rep, err := w.poll(ctx); err != nil || rep.Failed > 0 {
				b.Fatalf("first poll: %v, %+v", err, rep)
			}
			requests := s.Stats().Requests
			cpu := cpuTime(b)
			b.ResetTimer()
			for b.Loop() {
				rep, err := w.poll(ctx)
				if err != nil || rep.Added+rep.Updated+rep.Failed != 0 {
					b.Fatalf("poll over unchanged rows: %v, %+v", err, rep)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/poll")
			if got := s.Stats().Requests; got != requests {
				b.Fatalf("polls over unchanged rows sent %d requests", got-requests)
			}
		})
	}
}
