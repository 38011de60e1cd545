package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
)

// answers returns the errors of embeds, one call each.
type answers struct{ errs []error }

func (a *answers) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	err := a.errs[0]
	a.errs = a.errs[1:]
	if err != nil {
		return nil, err
	}
	return &salvo.Embedding{Vectors: make([][]float32, len(texts))}, nil
}

// Each answer lands in one counter: vectors, a retryable failure, another
// failure; a request the caller cancelled says nothing about the host.
func TestHostCountsEachOutcome(t *testing.T) {
	s := New()
	lim := engine.NewLimiter(engine.LimiterConfig{Fixed: 3})
	e := s.Host("h1", &answers{errs: []error{
		nil,
		&salvo.StatusError{StatusCode: 503},
		&salvo.StatusError{StatusCode: 400},
		context.Canceled,
	}}, lim)
	ctx := context.Background()
	e.Embed(ctx, []string{"a", "b"})
	e.Embed(ctx, []string{"a"})
	e.Embed(ctx, []string{"a"})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	e.Embed(cctx, []string{"a"})

	for name, c := range map[string]struct {
		got  float64
		want float64
	}{
		"requests":   {testutil.ToFloat64(s.requests.WithLabelValues("h1")), 4},
		"embeddings": {testutil.ToFloat64(s.embeddings.WithLabelValues("h1")), 2},
		"retries":    {testutil.ToFloat64(s.retries.WithLabelValues("h1")), 1},
		"failures":   {testutil.ToFloat64(s.failures.WithLabelValues("h1")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(s.latency); n != 1 {
		t.Errorf("%d latency series, want 1", n)
	}
	want := `
# HELP salvo_host_concurrency_limit Requests the host may have in flight now (adaptive unless --concurrency N).
# TYPE salvo_host_concurrency_limit gauge
salvo_host_concurrency_limit{host="h1"} 3
# HELP salvo_host_requests_in_flight Requests the host is answering now.
# TYPE salvo_host_requests_in_flight gauge
salvo_host_requests_in_flight{host="h1"} 0
`
	if err := testutil.CollectAndCompare((*hostCollector)(s), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// Before a run is given, the run's metrics are absent rather than zero;
// the endpoint serves /metrics and nothing else.
func TestServe(t *testing.T) {
	s := New()
	srv, err := Serve("127.0.0.1:0", s.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	if code != 200 || strings.Contains(body, "salvo_records_read_total") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics before a run: %d\n%s", code, body)
	}
	c := new(engine.Counters)
	c.Read.Store(7)
	c.Cached.Store(2)
	s.Counters(c)
	if _, body := get("/metrics"); !strings.Contains(body, "salvo_records_read_total 7\n") || !strings.Contains(body, `salvo_records_stored_total{how="cached"} 2`) {
		t.Errorf("/metrics after Counters lacks the run's figures:\n%s", body)
	}
	if code, _ := get("/other"); code != http.StatusNotFound {
		t.Errorf("/other: %d, want 404", code)
	}
	if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Error(err)
	}
}

// Each poll of --watch adds to the watch metrics, which a run without
// --watch does not have.
func TestPollMetrics(t *testing.T) {
	s := New()
	if n, err := testutil.GatherAndCount(s.reg, "salvo_watch_polls_total"); err != nil || n != 0 {
		t.Fatalf("before a poll: %d salvo_watch_polls_total, %v", n, err)
	}
	at := time.Unix(1700000000, 0)
	s.Poll(Poll{At: at, Duration: 1500 * time.Millisecond, Added: 5, Updated: 3, Unchanged: 10})
	s.Poll(Poll{At: at.Add(time.Second), Duration: time.Second, Deleted: 2, Failed: 1, Err: true})
	want := `
# HELP salvo_watch_polls_total Polls of salvo embed --watch.
# TYPE salvo_watch_polls_total counter
salvo_watch_polls_total 2
# HELP salvo_watch_poll_errors_total Polls that ended in an error; the next poll reads their records again.
# TYPE salvo_watch_poll_errors_total counter
salvo_watch_poll_errors_total 1
# HELP salvo_watch_last_poll_seconds How long the last poll took.
# TYPE salvo_watch_last_poll_seconds gauge
salvo_watch_last_poll_seconds 1
# HELP salvo_watch_last_poll_timestamp_seconds When the last poll ended (Unix time): alert when it is old.
# TYPE salvo_watch_last_poll_timestamp_seconds gauge
salvo_watch_last_poll_timestamp_seconds 1.700000001e+09
# HELP salvo_watch_records_total Records the polls found, by what they did: added, updated, deleted (--prune), unchanged, failed.
# TYPE salvo_watch_records_total counter
salvo_watch_records_total{change="added"} 5
salvo_watch_records_total{change="deleted"} 2
salvo_watch_records_total{change="failed"} 1
salvo_watch_records_total{change="unchanged"} 10
salvo_watch_records_total{change="updated"} 3
`
	if err := testutil.GatherAndCompare(s.reg, strings.NewReader(want), "salvo_watch_polls_total", "salvo_watch_poll_errors_total",
		"salvo_watch_last_poll_seconds", "salvo_watch_last_poll_timestamp_seconds", "salvo_watch_records_total"); err != nil {
		t.Error(err)
	}
}
