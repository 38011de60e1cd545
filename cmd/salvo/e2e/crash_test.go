package e2e

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
	"github.com/salvoembed/salvo/ollamatest"
)

// The crash suite: a real salvo process is killed with SIGKILL at 10
// random points of a run (seeded: SALVO_CRASH_SEED reproduces a failure)
// and run again each time. Work committed before a kill is never sent
// again (the server's count of texts received against the store's count),
// the final store equals an uninterrupted run's (same IDs, same vectors)
// and SQLite's integrity check passes.
func TestCrashSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and kills it ten times")
	}
	const records, kills = 1500, 10
	seed := time.Now().UnixNano()
	if s := os.Getenv("SALVO_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("SALVO_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("crash suite seed %d (SALVO_CRASH_SEED=%d reproduces it)", seed, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	bin := buildSalvo(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "movies.jsonl")
	var catalog bytes.Buffer
	if err := moviegen.Generate(42, records, &catalog); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, catalog.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Two slots at 1 ms a text: a run takes about a second, long enough to
	// be killed anywhere in it.
	srv := ollamatest.New(ollamatest.Config{Slots: 2, CostPerInput: time.Millisecond, Dims: 64})
	t.Cleanup(srv.Close)
	db := filepath.Join(dir, "killed.db")
	args := []string{"embed", in, "--host", srv.URL(), "--db", db, "--text", moviesTemplate, "--quiet"}

	committed, sent := 0, 0
	for k := 1; k <= kills; k++ {
		srv.Reset()
		target := 1 + rng.IntN(records-committed) // texts received before the kill
		p := start(t, exec.Command(bin, args...))
		ctx, cancel := context.WithCancel(context.Background())
		reached := make(chan error, 1)
		go func() { reached <- srv.Await(ctx, func(st ollamatest.Stats) bool { return st.Inputs >= target }) }()
		finished := false
		select {
		case <-reached:
			p.cmd.Process.Kill()
			p.exited <- <-p.exited
		case err := <-p.exited:
			p.exited <- err
			finished = true // the run ended before the kill point
			if err != nil {
				t.Fatalf("run %d exited before its kill point: %v\n%s", k, err, p.stderr.String())
			}
		}
		cancel()
		got := srv.Stats().Inputs
		sent += got
		now := status(t, db).Count
		t.Logf("kill %d: at %d texts received (target %d): %d → %d records stored", k, got, target, committed, now)
		if got > records-committed {
			t.Errorf("run %d: the server received %d texts, but only %d records were not committed before: committed work was sent again", k, got, records-committed)
		}
		if now < committed {
			t.Fatalf("run %d: the store went from %d to %d records", k, committed, now)
		}
		committed = now
		if finished {
			break
		}
	}

	srv.Reset()
	s, _ := embedOK(t, args[1:]...)
	got := srv.Stats().Inputs
	sent += got
	if got > records-committed {
		t.Errorf("final run: the server received %d texts for %d records not committed", got, records-committed)
	}
	if s.Embedded+s.Cached != records || s.Failed != 0 {
		t.Errorf("final run: %+v, want every record stored", s)
	}
	t.Logf("after %d kills: %d texts sent in all for %d records (%.3f per record)", kills, sent, records, float64(sent)/records)

	// An uninterrupted run into another database.
	srv.Reset()
	clean := filepath.Join(dir, "clean.db")
	embedOK(t, in, "--host", srv.URL(), "--db", clean, "--text", moviesTemplate, "--quiet")
	once := srv.Stats().Inputs
	t.Logf("an uninterrupted run sends %d texts", once)
	want, have := exported(t, clean), exported(t, db)
	if len(want) != records || len(have) != len(want) {
		t.Fatalf("%d records after the kills, %d after an uninterrupted run, want %d", len(have), len(want), records)
	}
	for id, v := range want {
		if !slices.Equal(have[id], v) {
			t.Errorf("record %s: the vector after the kills differs from the uninterrupted run's", id)
		}
	}
	integrityOK(t, db)
}
