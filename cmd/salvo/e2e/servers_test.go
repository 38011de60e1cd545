package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollamatest"
)

// With OLLAMA_MAX_QUEUE=1 and 16 requests in flight the server answers most
// of them 503 "server busy": salvo takes that as backpressure and stores
// everything.
func TestRealFullQueue(t *testing.T) {
	srv := startInstance(t, "queue", "OLLAMA_MAX_QUEUE=1")
	const n = 60
	db := filepath.Join(t.TempDir(), "q.db")
	s, _ := embedOK(t, movies(t, n), "--host", srv.Host, "--model", srv.Model, "--db", db, "--text", moviesTemplate,
		"--concurrency", "16", "--batch-size", "2")
	t.Logf("%+v", s)
	if s.Failed != 0 || s.Embedded+s.Cached != n {
		t.Errorf("summary %+v, want all %d stored", s, n)
	}
	if s.Retries == 0 {
		t.Errorf("summary %+v: no retries, so the queue never filled and the test proved nothing", s)
	}
	if c := status(t, db); c.Count != n {
		t.Errorf("%d records stored, want %d", c.Count, n)
	}
}

// The server is killed (SIGKILL, runner and all) in the middle of a run and
// started again on the same port: the same salvo run finishes the job.
func TestRealServerKilledAndRestarted(t *testing.T) {
	srv := startInstance(t, "restart")
	const n = 100
	db := filepath.Join(t.TempDir(), "r.db")
	args := []string{"embed", movies(t, n), "--host", srv.Host, "--model", srv.Model, "--db", db, "--text", moviesTemplate,
		"--batch-size", "2", "--concurrency", "2", "--retries", "8", "--json"}
	ctx, cancel := context.WithCancel(context.Background())
	var r result
	end := make(chan struct{})
	go func() { r = salvoCtx(ctx, args...); close(end) }()
	t.Cleanup(func() { cancel(); <-end }) // also when the test fails early
	ended := func() bool {
		select {
		case <-end:
			return true
		default:
			return false
		}
	}

	var before int
	waitFor(t, "the first records to be stored", 2*time.Minute, func() (bool, error) {
		if ended() {
			t.Fatalf("salvo ended before anything could be observed: exit %d\n%s", r.code, r.err)
		}
		c, err := statusOf(db)
		before = c.Count
		return before > 0, err
	})
	srv.kill()
	if c := status(t, db); c.Count >= n {
		t.Fatalf("all %d records were stored before the kill: the run was too fast for this test", n)
	}
	srv.restart()

	select {
	case <-end:
	case <-time.After(4 * time.Minute):
		cancel()
		<-end
		t.Fatalf("the run did not finish within 4 minutes of the restart\n%s", r.err)
	}
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.err)
	}
	s := r.summary(t)
	if s.Failed != 0 || s.Embedded+s.Cached != n || s.Retries == 0 {
		t.Errorf("summary %+v: want all %d stored, with retries", s, n)
	}
	if c := status(t, db); c.Count != n {
		t.Errorf("%d records stored, want %d", c.Count, n)
	}
	t.Logf("killed the server with %d of %d records stored; %d retries", before, n, s.Retries)
}

// --keep-alive and --dimensions reach the server: keep-alive 0 unloads the
// model after the run (so the next run reports a cold load), 10m keeps it;
// 128 dimensions are Ollama's first 128, normalised again.
func TestRealKeepAliveAndDimensions(t *testing.T) {
	srv := startInstance(t, "keepalive")
	const n = 20
	in := movies(t, n)
	dir := t.TempDir()
	common := []string{in, "--host", srv.Host, "--model", srv.Model, "--text", moviesTemplate}
	modelName := srv.Model + ":latest"
	unloaded := func() (bool, error) {
		_, ok := loaded(t, srv.Host)[modelName]
		return !ok, nil
	}

	short := filepath.Join(dir, "short.db")
	embedOK(t, append(common, "--db", short, "--keep-alive", "0", "--dimensions", "128")...)
	if c := status(t, short); c.Dims != 128 || c.Count != n {
		t.Errorf("--dimensions 128: status %+v, want %d records of 128 dims", c, n)
	}
	waitFor(t, "the model to be unloaded after --keep-alive 0 (GET /api/ps)", time.Minute, unloaded)

	full := filepath.Join(dir, "full.db")
	s, r := embedOK(t, append(common, "--db", full, "--keep-alive", "0")...)
	if s.LoadSecs <= 0 {
		t.Errorf("after an unload: model_load_seconds %v, want > 0 (a cold start)", s.LoadSecs)
	}
	if !strings.Contains(r.err, "model load") {
		t.Errorf("the report does not mention the cold model load:\n%s", r.err)
	}
	if c := status(t, full); c.Dims != 384 {
		t.Errorf("without --dimensions: %d dims, want 384", c.Dims)
	}
	waitFor(t, "the model to be unloaded again", time.Minute, unloaded)

	cut, whole := exported(t, short), exported(t, full)
	for id, v := range cut {
		if len(v) != 128 || norm(v) < 0.999 || norm(v) > 1.001 {
			t.Errorf("record %s: %d dims, norm %.4f; want a unit vector of 128", id, len(v), norm(v))
			continue
		}
		if w := whole[id]; len(w) != 384 || !(ollamatest.Cosine(v, w[:128]) > 0.999) {
			t.Errorf("record %s: the 128-dim vector is not the start of the 384-dim one", id)
		}
	}

	kept := filepath.Join(dir, "kept.db")
	embedOK(t, append(common, "--db", kept, "--keep-alive", "10m", "--limit", "1")...)
	exp, ok := loaded(t, srv.Host)[modelName]
	if !ok || time.Until(exp) < 7*time.Minute {
		t.Errorf("--keep-alive 10m: /api/ps says loaded %v until %v, want loaded for about 10 minutes (the default is 5)", ok, exp)
	}
}
