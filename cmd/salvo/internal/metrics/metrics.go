// Package metrics exposes salvo's live figures to Prometheus: a run's
// counters (records read, stored, cached, failed; requests, retries) and,
// per host, requests, embeddings, retries, failures, requests in flight,
// the concurrency limit and a latency histogram.
//
// Start with [New], hand it the run's counters ([Set.Counters]) and wrap
// each host's embedder ([Set.Host]), then [Serve] the set's handler:
//
//	m := metrics.New()
//	m.Counters(counters)
//	host.Embedder = m.Host(host.Name, host.Embedder, host.Limiter)
//	srv, err := metrics.Serve("127.0.0.1:9464", m.Handler())
//	defer srv.Close()
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
)

// Set is the metrics of one salvo process. Its methods are safe for
// concurrent use.
type Set struct {
	reg      *prometheus.Registry
	counters atomic.Pointer[engine.Counters]

	requests, embeddings, retries, failures *prometheus.CounterVec
	latency                                 *prometheus.HistogramVec

	mu    sync.Mutex
	hosts map[string]*host
	watch *watchMetrics // set by the first Poll
}

// host is what the set knows of one host.
type host struct {
	inFlight atomic.Int64
	limiter  atomic.Pointer[engine.Limiter]
}

// New returns a set with salvo's metrics and the Go runtime's and the
// process's.
func New() *Set {
	s := &Set{reg: prometheus.NewRegistry(), hosts: map[string]*host{}}
	perHost := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"host"})
	}
	s.requests = perHost("salvo_host_requests_total", "Embedding requests sent to the host.")
	s.embeddings = perHost("salvo_host_embeddings_total", "Vectors the host answered.")
	s.retries = perHost("salvo_host_retries_total", "Requests to the host that failed in a way worth sending again (503/429 busy, 502/504, timeouts, lost connections); salvo resends their texts.")
	s.failures = perHost("salvo_host_failures_total", "Requests to the host that failed otherwise (400/500, malformed answers); salvo splits, retries or fails their texts.")
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "salvo_request_duration_seconds",
		Help:    "Time from sending an embedding request to its answer, by host.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 16), // 5 ms .. 164 s
	}, []string{"host"})
	s.reg.MustRegister(s.requests, s.embeddings, s.retries, s.failures, s.latency,
		(*runCollector)(s), (*hostCollector)(s),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Counters makes the set report c, a run's live counters (the last one
// given, when a process runs several).
func (s *Set) Counters(c *engine.Counters) { s.counters.Store(c) }

// Host returns e counted under the host name: its requests, embeddings,
// retries, failures, latency and requests in flight. lim, when not nil, is
// the host's limiter, whose limit is reported.
func (s *Set) Host(name string, e salvo.Embedder, lim *engine.Limiter) salvo.Embedder {
	s.mu.Lock()
	h := s.hosts[name]
	if h == nil {
		h = &host{}
		s.hosts[name] = h
	}
	s.mu.Unlock()
	if lim != nil {
		h.limiter.Store(lim)
	}
	return &counted{
		Embedder: e, h: h,
		requests: s.requests.WithLabelValues(name), embeddings: s.embeddings.WithLabelValues(name),
		retries: s.retries.WithLabelValues(name), failures: s.failures.WithLabelValues(name),
		latency: s.latency.WithLabelValues(name),
	}
}

// Handler serves the metrics in Prometheus's text format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// counted is an Embedder that counts what goes through it.
type counted struct {
	salvo.Embedder
	h                                       *host
	requests, embeddings, retries, failures prometheus.Counter
	latency                                 prometheus.Observer
}

func (c *counted) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	c.requests.Inc()
	c.h.inFlight.Add(1)
	start := time.Now()
	emb, err := c.Embedder.Embed(ctx, texts)
	c.latency.Observe(time.Since(start).Seconds())
	c.h.inFlight.Add(-1)
	switch {
	case err == nil:
		c.embeddings.Add(float64(len(emb.Vectors)))
	case ctx.Err() != nil:
		// Cancelled by salvo: says nothing about the host.
	case salvo.Retryable(err):
		c.retries.Inc()
	default:
		c.failures.Inc()
	}
	return emb, err
}

// runCollector reports the run's counters.
type runCollector Set

var (
	descRead      = prometheus.NewDesc("salvo_records_read_total", "Records read from the inputs, good and bad.", nil, nil)
	descStored    = prometheus.NewDesc("salvo_records_stored_total", "Records committed to the store: embedded (with a vector fetched in this run) or cached (no request: stored already, in the content cache, or a text repeated in flight).", []string{"how"}, nil)
	descFailed    = prometheus.NewDesc("salvo_records_failed_total", "Records written to the failures file.", nil, nil)
	descTruncated = prometheus.NewDesc("salvo_records_truncated_total", "Records whose text the server cut to the model's context.", nil, nil)
	descExpected  = prometheus.NewDesc("salvo_records_expected", "Records the run expects in all (-1 while unknown).", nil, nil)
	descRequests  = prometheus.NewDesc("salvo_requests_total", "Embedding requests sent, over all hosts.", nil, nil)
	descRetries   = prometheus.NewDesc("salvo_retries_total", "Requests sent again after a retryable error, over all hosts.", nil, nil)
	descSplits    = prometheus.NewDesc("salvo_splits_total", "Failed batches split in halves to isolate a bad input.", nil, nil)
	descInFlight  = prometheus.NewDesc("salvo_requests_in_flight", "Requests being answered now, over all hosts.", nil, nil)
	descHostIn    = prometheus.NewDesc("salvo_host_requests_in_flight", "Requests the host is answering now.", []string{"host"}, nil)
	descHostLimit = prometheus.NewDesc("salvo_host_concurrency_limit", "Requests the host may have in flight now (adaptive unless --concurrency N).", []string{"host"}, nil)
)

func (c *runCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRead, descStored, descFailed, descTruncated, descExpected, descRequests, descRetries, descSplits, descInFlight} {
		ch <- d
	}
}

func (c *runCollector) Collect(ch chan<- prometheus.Metric) {
	k := (*Set)(c).counters.Load()
	if k == nil {
		return
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descRead, k.Read.Load())
	counter(descStored, k.Embedded.Load(), "embedded")
	counter(descStored, k.Cached.Load(), "cached")
	counter(descFailed, k.Failed.Load())
	counter(descTruncated, k.Truncated.Load())
	counter(descRequests, k.Requests.Load())
	counter(descRetries, k.Retries.Load())
	counter(descSplits, k.Splits.Load())
	ch <- prometheus.MustNewConstMetric(descExpected, prometheus.GaugeValue, float64(k.Total.Load()))
	ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(k.InFlight.Load()))
}

// hostCollector reports each host's requests in flight and limit.
type hostCollector Set

func (c *hostCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descHostIn; ch <- descHostLimit }

func (c *hostCollector) Collect(ch chan<- prometheus.Metric) {
	s := (*Set)(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, h := range s.hosts {
		ch <- prometheus.MustNewConstMetric(descHostIn, prometheus.GaugeValue, float64(h.inFlight.Load()), name)
		if lim := h.limiter.Load(); lim != nil {
			ch <- prometheus.MustNewConstMetric(descHostLimit, prometheus.GaugeValue, float64(lim.Limit()), name)
		}
	}
}

// Server serves metrics over HTTP.
type Server struct {
	srv  *http.Server
	addr net.Addr
	done chan struct{}
}

// Serve listens on addr ("127.0.0.1:9464"; port 0 picks a free one) and
// serves h at /metrics until Close.
func Serve(addr string, h http.Handler) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("salvo: metrics at /metrics\n"))
	})
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: l.Addr(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener failed: scrapes fail, the run goes on
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Close stops the server, letting scrapes in progress finish for up to a
// second.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}
