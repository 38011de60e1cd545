package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
)

// stderrWatch is a stderr that hands over the line announcing the metrics
// endpoint as soon as it is written.
type stderrWatch struct {
	mu   sync.Mutex
	buf  strings.Builder
	addr chan string
}

var metricsLine = regexp.MustCompile(`metrics on http://(\S+)/metrics`)

func (w *stderrWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := metricsLine.FindStringSubmatch(string(p)); m != nil {
		w.addr <- m[1]
	}
	return len(p), nil
}

func (w *stderrWatch) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }

// scrape reads the endpoint's samples as "name{labels}" → value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// The endpoint is scraped mid-run, with every request held by the server:
// the figures are those of that moment, for the run and for the host.
func TestMetricsMidRun(t *testing.T) {
	s := server(t, ollamatest.Config{Slots: 4})
	dir := t.TempDir()
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf(`{"id":%d,"text":"movie number %d"}`, i, i))
	}
	lines = append(lines, `{"id":99,"text":`) // a bad line
	in := writeFile(t, dir, "m.jsonl", strings.Join(lines, "\n")+"\n")

	s.FailNext(1, 503, "server busy") // the first request: busy, sent again
	release := s.Gate()               // the others wait in the server
	w := &stderrWatch{addr: make(chan string, 1)}
	done := make(chan int, 1)
	go func() {
		done <- Main(context.Background(), []string{"embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"),
			"--concurrency", "2", "--batch-size", "4", "--metrics-addr", "127.0.0.1:0"},
			Stdio{In: strings.NewReader(""), Out: io.Discard, Err: w, IsTerminal: func() bool { return false }})
	}()
	var addr string
	select {
	case addr = <-w.addr:
	case code := <-done:
		t.Fatalf("salvo exited %d before serving metrics:\n%s", code, w.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Await(ctx, func(st ollamatest.Stats) bool { return st.Holding == 2 }); err != nil {
		release()
		t.Fatalf("the server never held 2 requests: %v\n%s", err, w.String())
	}
	m := scrape(t, addr)
	release()
	host := fmt.Sprintf(`{host="%s"}`, s.URL())
	for name, want := range map[string]float64{
		"salvo_records_read_total":                                                13,
		"salvo_records_failed_total":                                              1, // the bad line
		`salvo_records_stored_total{how="embedded"}`:                              0, // nothing answered yet
		"salvo_requests_in_flight":                                                2,
		"salvo_retries_total":                                                     1,
		"salvo_host_requests_total" + host:                                        3, // the 503, its resend, the other worker's
		"salvo_host_retries_total" + host:                                         1,
		"salvo_host_failures_total" + host:                                        0,
		"salvo_host_embeddings_total" + host:                                      0,
		"salvo_host_requests_in_flight" + host:                                    2,
		"salvo_host_concurrency_limit" + host:                                     2,
		"salvo_request_duration_seconds_count" + host:                             1, // only the 503 has come back
		`salvo_request_duration_seconds_bucket{host="` + s.URL() + `",le="+Inf"}`: 1,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", name, got, ok, want)
		}
	}
	if code := <-done; code != ExitPartial {
		t.Errorf("exit %d, want %d (one bad line)\n%s", code, ExitPartial, w.String())
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		t.Error("the metrics endpoint still answers after the run")
	}
}

func TestMetricsAddrInUse(t *testing.T) {
	s := server(t, ollamatest.Config{})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n")
	taken := strings.TrimPrefix(s.URL(), "http://")
	r := run(t, "", "embed", in, "--host", s.URL(), "--db", filepath.Join(dir, "m.db"), "--metrics-addr", taken)
	if r.code != ExitFatal || !strings.Contains(r.err, "--metrics-addr") {
		t.Errorf("exit %d, %s", r.code, r.err)
	}
	if s.Requests() != 0 {
		t.Errorf("%d requests sent before the mistake was found", s.Requests())
	}
}
