package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// watching is salvo embed --watch running in the background.
type watching struct {
	cancel   context.CancelFunc
	done     chan int
	out, err *syncBuffer
}

// startWatch runs salvo with args until stop.
func startWatch(t *testing.T, args ...string) *watching {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watching{cancel: cancel, done: make(chan int, 1), out: new(syncBuffer), err: new(syncBuffer)}
	go func() {
		w.done <- Main(ctx, args, Stdio{In: strings.NewReader(""), Out: w.out, Err: w.err, IsTerminal: func() bool { return false }})
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop cancels the run (as SIGINT does) and returns its exit code.
func (w *watching) stop(t *testing.T) int {
	t.Helper()
	w.cancel()
	select {
	case code := <-w.done:
		w.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("salvo embed --watch still runs 30 s after it was stopped\n%s", w.err.String())
	}
	return 0
}

// await checks cond until it holds, at most within; it fails the test
// with what salvo said otherwise.
func (w *watching) await(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		select {
		case code := <-w.done:
			w.done <- code
			t.Fatalf("salvo exited %d while waiting for %s\n%s", code, what, w.err.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s\nsalvo said:\n%s", within, what, w.err.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var pollLine = regexp.MustCompile(`(?m)^salvo: poll (\d+): (.*) \([0-9.]+ s\)$`)

// polls returns the poll lines salvo printed: poll number to its text.
func (w *watching) polls() map[int]string {
	m := map[int]string{}
	for _, sm := range pollLine.FindAllStringSubmatch(w.err.String(), -1) {
		n, _ := strconv.Atoi(sm[1])
		m[n] = sm[2]
	}
	return m
}

// lastPoll is the number of the last poll salvo reported.
func (w *watching) lastPoll() int {
	last := 0
	for n := range w.polls() {
		last = max(last, n)
	}
	return last
}

var pollCount = regexp.MustCompile(`(\d+) (added|updated|deleted|failed|embedded)`)

// sum adds up the counts of the polls from poll from on.
func (w *watching) sum(from int) map[string]int {
	c := map[string]int{}
	for n, p := range w.polls() {
		if n < from {
			continue
		}
		for _, m := range pollCount.FindAllStringSubmatch(p, -1) {
			k, _ := strconv.Atoi(m[1])
			c[m[2]] += k
		}
	}
	return c
}

// watchTable makes schema.movies on srv with n rows.
func watchTable(t *testing.T, srv *pgtest.Server, n int) string {
	t.Helper()
	schema := srv.NewSchema(t)
	srv.Exec(t, fmt.Sprintf(`CREATE TABLE %s.movies (id integer PRIMARY KEY, title text NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp())`, schema))
	srv.Exec(t, fmt.Sprintf(`INSERT INTO %s.movies (id, title) SELECT i, 'movie ' || i FROM generate_series(1, %d) AS i`, schema, n))
	return schema
}

// The targets on PostgreSQL 15 with --watch 1s: 5 inserted rows
// and 3 updated titles have their new vectors in the write-back column
// within 5 s; polls over unchanged rows send no request.
func TestWatchWriteBackPostgreSQL(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Dims: 8})
	schema := watchTable(t, srv, 20)
	db := t.TempDir() + "/salvo.db"
	w := startWatch(t, "embed", "--source-db", srv.URL, "--sql", "SELECT id, title FROM "+schema+".movies",
		"--fields", "title", "--write-back", schema+".movies.embedding", "--host", s.URL(), "--db", db, "--watch", "1s")
	written := func() int64 {
		return query[int64](t, srv, "SELECT count(*) FROM "+schema+".movies WHERE embedding IS NOT NULL")
	}
	w.await(t, 60*time.Second, "the first poll", func() bool { return w.lastPoll() >= 1 })
	if n := written(); n != 20 {
		t.Fatalf("after the first poll %d rows have a vector, want 20\n%s", n, w.err.String())
	}
	// Unchanged rows: the next polls send nothing.
	requests := s.Stats().Requests
	first := w.lastPoll()
	w.await(t, 10*time.Second, "two more polls", func() bool { return w.lastPoll() >= first+2 })
	if got := s.Stats().Requests; got != requests {
		t.Errorf("polls over unchanged rows sent %d requests", got-requests)
	}
	if p := w.polls()[first+1]; !strings.Contains(p, "20 records, 0 added, 0 updated, 0 deleted, 20 unchanged, 0 failed; 0 embedded") {
		t.Errorf("poll %d over unchanged rows: %q", first+1, p)
	}

	old := query[string](t, srv, "SELECT string_agg(embedding::text, '|' ORDER BY id) FROM "+schema+".movies WHERE id IN (2, 4, 6)")
	changed := time.Now()
	srv.Exec(t, "INSERT INTO "+schema+".movies (id, title) SELECT i, 'new movie ' || i FROM generate_series(21, 25) AS i")
	srv.Exec(t, "UPDATE "+schema+".movies SET title = title || ', the remake' WHERE id IN (2, 4, 6)")
	w.await(t, 5*time.Second, "5 inserted and 3 updated rows written back", func() bool {
		return written() == 25 && query[string](t, srv, "SELECT string_agg(embedding::text, '|' ORDER BY id) FROM "+schema+".movies WHERE id IN (2, 4, 6)") != old
	})
	t.Logf("written back %.2f s after the change", time.Since(changed).Seconds())
	since := first + 2
	w.await(t, 5*time.Second, "the polls' lines: 5 added, 3 updated", func() bool {
		c := w.sum(since)
		return c["added"] == 5 && c["updated"] == 3 && c["embedded"] == 8
	})
	if code := w.stop(t); code != ExitInterrupted {
		t.Errorf("stopped: exit %d, want %d\n%s", code, ExitInterrupted, w.err.String())
	}
}

// With --prune, rows deleted from the table leave the collection within
// 5 s; with --changed-since, polls read only the rows whose column grew
// (the inserted and updated ones), a failed row is read and sent again at
// the next poll, and deletions wait for a full poll (--full-every).
func TestWatchChangedSincePrunePostgreSQL(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Dims: 8})
	schema := watchTable(t, srv, 30)
	db := t.TempDir() + "/salvo.db"
	w := startWatch(t, "embed", "--source-db", srv.URL, "--sql", "SELECT id, title, updated_at FROM "+schema+".movies",
		"--text", "{{.title}}", "--collection", "m", "--host", s.URL(), "--db", db, "--watch", "1s",
		"--changed-since", "updated_at", "--full-every", "2", "--prune")
	w.await(t, 60*time.Second, "the first poll", func() bool { return w.lastPoll() >= 1 })
	if p := w.polls()[1]; !strings.Contains(p, "read every row: 30 records, 30 added") {
		t.Fatalf("first poll: %q", p)
	}
	full := func(k int) bool { return (k-1)%2 == 0 }
	w.await(t, 10*time.Second, "an incremental poll", func() bool { return w.polls()[2] != "" })
	if p := w.polls()[2]; !strings.Contains(p, "read the rows changed since '") || !strings.Contains(p, ": 0 records") {
		t.Errorf("poll 2 with nothing changed: %q, want it to read no row", p)
	}

	// One of the new rows fails: it is sent again at the next poll.
	s.Poison("new movie 32")
	srv.Exec(t, "INSERT INTO "+schema+".movies (id, title) SELECT i, 'new movie ' || i FROM generate_series(31, 35) AS i")
	srv.Exec(t, "UPDATE "+schema+".movies SET title = title || ', the remake', updated_at = clock_timestamp() WHERE id IN (2, 4, 6)")
	n := w.lastPoll() + 1
	w.await(t, 5*time.Second, "the failure", func() bool { return w.sum(n)["failed"] >= 1 })
	s.ClearFaults()
	w.await(t, 5*time.Second, "5 added and 3 updated", func() bool {
		c := w.sum(n)
		return c["added"] == 5 && c["updated"] == 3
	})
	if recs := exported(t, db, "m"); len(recs) != 35 {
		t.Errorf("the collection holds %d records, want 35", len(recs))
	}
	for k, p := range w.polls() {
		m := regexp.MustCompile(`: (\d+) records`).FindStringSubmatch(p)
		if k > 1 && !full(k) && (m == nil || m[1] > "8" || len(m[1]) > 1) {
			t.Errorf("incremental poll %d read more than the 8 rows that changed: %q", k, p)
		}
	}

	srv.Exec(t, "DELETE FROM "+schema+".movies WHERE id IN (7, 8)")
	deleted := time.Now()
	w.await(t, 5*time.Second, "2 deleted rows gone from the collection", func() bool {
		recs := exported(t, db, "m")
		_, has7 := recs["7"]
		_, has8 := recs["8"]
		return len(recs) == 33 && !has7 && !has8
	})
	t.Logf("pruned %.2f s after the delete", time.Since(deleted).Seconds())
	if code := w.stop(t); code != ExitInterrupted {
		t.Errorf("stopped: exit %d\n%s", code, w.err.String())
	}
}

// With --prune, each poll deletes the rows gone from the table: 2 deleted
// rows leave the collection within 5 s.
func TestWatchPrunePostgreSQL(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Dims: 8})
	schema := watchTable(t, srv, 10)
	db := t.TempDir() + "/salvo.db"
	w := startWatch(t, "embed", "--source-db", srv.URL, "--sql", "SELECT id, title FROM "+schema+".movies",
		"--fields", "title", "--collection", "m", "--host", s.URL(), "--db", db, "--watch", "1s", "--prune")
	w.await(t, 60*time.Second, "the first poll", func() bool { return w.lastPoll() >= 1 })
	srv.Exec(t, "DELETE FROM "+schema+".movies WHERE id IN (3, 9)")
	deleted := time.Now()
	w.await(t, 5*time.Second, "2 deleted rows gone from the collection", func() bool {
		recs := exported(t, db, "m")
		_, has3 := recs["3"]
		_, has9 := recs["9"]
		return len(recs) == 8 && !has3 && !has9
	})
	t.Logf("pruned %.2f s after the delete", time.Since(deleted).Seconds())
	// An empty result is refused at each poll, and the next polls go on.
	srv.Exec(t, "DELETE FROM "+schema+".movies")
	n := w.lastPoll()
	w.await(t, 10*time.Second, "a refused prune, then another poll", func() bool {
		return strings.Contains(w.err.String(), "the input has no records") && w.lastPoll() >= n+2
	})
	if recs := exported(t, db, "m"); len(recs) != 8 {
		t.Errorf("after polls over an empty table the collection holds %d records, want 8", len(recs))
	}
	if code := w.stop(t); code != ExitInterrupted {
		t.Errorf("stopped: exit %d\n%s", code, w.err.String())
	}
}

// --watch on a file reads it again when it changes, and not otherwise.
func TestWatchFile(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	file := writeFile(t, dir, "m.jsonl", catalog(upTo(5)...))
	db := dir + "/salvo.db"
	w := startWatch(t, "embed", file, "--host", s.URL(), "--db", db, "--watch", "1s", "--prune", "--metrics-addr", "127.0.0.1:0")
	w.await(t, 60*time.Second, "the first poll", func() bool { return w.lastPoll() >= 1 })
	requests := s.Stats().Requests
	w.await(t, 10*time.Second, "a poll over the unchanged file", func() bool { return w.polls()[2] != "" })
	if p := w.polls()[2]; p != "no file changed" || s.Stats().Requests != requests {
		t.Errorf("poll 2 of an unchanged file: %q, %d requests", p, s.Stats().Requests-requests)
	}
	// Each poll is in the metrics.
	addr := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(w.err.String())
	if addr == nil {
		t.Fatalf("no metrics address in\n%s", w.err.String())
	}
	resp, err := http.Get(addr[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := regexp.MustCompile(`\nsalvo_watch_polls_total (\d+)\n`).FindStringSubmatch(string(body)); m == nil || m[1] < "2" || len(m[1]) > 1 {
		t.Errorf("/metrics after 2 polls: salvo_watch_polls_total %v\n%s", m, body)
	}
	for _, want := range []string{"\nsalvo_watch_records_total{change=\"added\"} 5\n", "\nsalvo_watch_last_poll_timestamp_seconds "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics after 2 polls lacks %q:\n%s", want, body)
		}
	}
	writeFile(t, dir, "m.jsonl", catalog(2, 3, 4, 5, 6, 7))
	w.await(t, 5*time.Second, "the new records stored, the gone one deleted", func() bool {
		recs := exported(t, db, "m")
		_, has1 := recs["r1"]
		return len(recs) == 6 && !has1
	})
	if code := w.stop(t); code != ExitInterrupted {
		t.Errorf("stopped: exit %d\n%s", code, w.err.String())
	}
}

// The flags --watch cannot honour, and its flags without it, are refused
// before anything is read.
func TestWatchRefusals(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "m.jsonl", catalog(1, 2))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{file, "--changed-since", "updated_at"}, "--changed-since reads the rows changed since the last poll of --watch"},
		{[]string{file, "--full-every", "3"}, "--full-every counts the polls"},
		{[]string{file, "--watch", "0"}, "--watch 0"},
		{[]string{file, "--watch", "-1s"}, "--watch -1s"},
		{[]string{file, "--watch", "1s", "--changed-since", "updated_at"}, "with files, --watch reads a file again"},
		{[]string{"--source-db", file, "--sql", "SELECT 1", "--watch", "1s", "--full-every", "2"}, "--full-every without --changed-since"},
		{[]string{"--source-db", file, "--sql", "SELECT 1", "--watch", "1s", "--changed-since", "u", "--full-every", "0"}, "--full-every 0"},
		{[]string{file, "--watch", "1s", "--plan"}, "--watch and --plan"},
		{[]string{file, "--watch", "1s", "--limit", "1"}, "--watch with --limit"},
		{[]string{file, "--watch", "1s", "--distributed"}, "--watch with --distributed"},
		{[]string{"-", "--watch", "1s"}, "standard input can be read once"},
		{[]string{"--watch", "1s"}, "standard input can be read once"},
		// What stops one run stops the first poll, and salvo.
		{[]string{"--source-db", dir + "/missing.db", "--sql", "SELECT 1 AS id", "--watch", "1s"}, "no such SQLite file"},
		{[]string{dir + "/missing.jsonl", "--watch", "1s"}, "missing.jsonl"},
	} {
		r := run(t, "", append([]string{"embed", "--db", dir + "/s.db", "--host", "http://127.0.0.1:1"}, c.args...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, c.want) {
			t.Errorf("salvo embed %s: exit %d, %q; want 1 and %q", strings.Join(c.args, " "), r.code, r.err, c.want)
		}
	}
}

// --watch with --files reads the documents at every poll: a file that
// appears under a pattern is embedded, one that is gone is pruned.
func TestWatchDocuments(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes")
	if err := os.MkdirAll(filepath.Join(notes, "2024"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, notes, "a.md", "# A\n\nThe first note.\n")
	writeFile(t, filepath.Join(notes, "2024"), "b.md", "# B\n\nThe second note.\n")
	db := filepath.Join(dir, "salvo.db")
	w := startWatch(t, "embed", "--files", filepath.Join(notes, "**", "*.md"), "--host", s.URL(), "--db", db, "--watch", "1s", "--prune")
	w.await(t, 60*time.Second, "the first poll", func() bool { return w.lastPoll() >= 1 })
	writeFile(t, notes, "c.md", "# C\n\nA note written while salvo watches.\n")
	if err := os.Remove(filepath.Join(notes, "a.md")); err != nil {
		t.Fatal(err)
	}
	w.await(t, 10*time.Second, "the new document stored, the gone one deleted", func() bool {
		recs := exported(t, db, "notes")
		_, hasA := recs["a.md"]
		_, hasC := recs["c.md"]
		return len(recs) == 2 && hasC && !hasA
	})
	if code := w.stop(t); code != ExitInterrupted {
		t.Errorf("stopped: exit %d\n%s", code, w.err.String())
	}
}
