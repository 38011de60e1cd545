// Package bench is the implementation of `salvo bench`: it measures
// embedding strategies against real servers, the guide's (one text per
// request, sequentially or N at a time) and salvo's (batches, fixed or
// adaptive), each over the same texts, and recommends flags. Nothing is
// stored.
//
// Start with [Run] and [DefaultStrategies]; `salvo bench` is its command.
package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
)

// Strategy is one way to send the texts.
type Strategy struct {
	Name        string `json:"name"`
	API         string `json:"api"`         // "embeddings" (one text per request), "embed" or "openai"
	Concurrency int    `json:"concurrency"` // requests in flight per host; 0 = adaptive
	BatchSize   int    `json:"batch_size"`  // texts per request; 0 = adaptive
}

// Flags are the salvo embed flags that select s.
func (s Strategy) Flags() string {
	var f []string
	if s.API != "embed" && !(s.API == "openai" && s.Concurrency == 0 && s.BatchSize == 0) {
		f = append(f, "--api "+s.API)
	}
	if s.Concurrency > 0 {
		f = append(f, "--concurrency "+strconv.Itoa(s.Concurrency))
	}
	if s.BatchSize > 0 && s.API != "embeddings" {
		f = append(f, "--batch-size "+strconv.Itoa(s.BatchSize))
	}
	if len(f) == 0 {
		return "(defaults)"
	}
	return strings.Join(f, " ")
}

// DefaultStrategies are the guide's approaches and salvo's: sequential,
// concurrent single-text requests, batches at several sizes and in-flight
// counts, and adaptive.
func DefaultStrategies() []Strategy {
	s := []Strategy{{Name: "sequential (guide §1)", API: "embeddings", Concurrency: 1, BatchSize: 1}}
	for _, c := range []int{2, 4, 8, 16} {
		s = append(s, Strategy{Name: fmt.Sprintf("concurrent ×%d (guide §2-4)", c), API: "embeddings", Concurrency: c, BatchSize: 1})
	}
	for _, b := range []int{16, 64, 128} {
		for _, c := range []int{1, 2, 4} {
			s = append(s, Strategy{Name: fmt.Sprintf("batch %d ×%d", b, c), API: "embed", Concurrency: c, BatchSize: b})
		}
	}
	return append(s, Strategy{Name: "salvo auto", API: "embed"})
}

// QuickStrategies is a shorter list for a first look.
func QuickStrategies() []Strategy {
	return []Strategy{
		{Name: "sequential (guide §1)", API: "embeddings", Concurrency: 1, BatchSize: 1},
		{Name: "concurrent ×10 (guide's asyncio)", API: "embeddings", Concurrency: 10, BatchSize: 1},
		{Name: "batch 64 ×2", API: "embed", Concurrency: 2, BatchSize: 64},
		{Name: "salvo auto", API: "embed"},
	}
}

// Result is what one strategy achieved.
type Result struct {
	Strategy
	Embedded  int64   `json:"embedded"`
	Failed    int64   `json:"failed"`
	Requests  int64   `json:"requests"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	PerMinute float64 `json:"per_minute"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	CPUPerEmb float64 `json:"cpu_ms_per_embedding"` // client user+sys CPU
	PeakRSSMB float64 `json:"peak_rss_mb"`
	Reloaded  bool    `json:"reloaded"` // a model load was seen and the run repeated
	// PerHost is each host's share: embedded, requests, retries, latency, state.
	PerHost    []engine.HostReport `json:"per_host,omitempty"`
	Err        string              `json:"error,omitempty"`
	loadNanos  int64
	reloadSeen bool
}

// Config is a benchmark.
type Config struct {
	// Embedder makes a client for host and api ("embed", "embeddings", "openai").
	Embedder func(host, api string) (salvo.Embedder, error)
	Hosts    []string
	Model    string
	Texts    []string // distinct texts; each strategy embeds all of them
	Warmup   int      // texts sent first, not measured (default 8)
	Timeout  time.Duration
	// Progress is called after each strategy.
	Progress func(Result)
}

// Run measures every strategy in turn over cfg.Texts.
func Run(ctx context.Context, cfg Config, strategies []Strategy) ([]Result, error) {
	if cfg.Warmup == 0 {
		cfg.Warmup = 8
	}
	// Warm-up: load the model so that no strategy pays for it.
	if err := warmup(ctx, cfg); err != nil {
		return nil, err
	}
	var out []Result
	for _, s := range strategies {
		res, err := measure(ctx, cfg, s)
		if err != nil {
			return out, err
		}
		if res.reloadSeen { // the server reloaded the model mid-run: measure again
			res, err = measure(ctx, cfg, s)
			if err != nil {
				return out, err
			}
			res.Reloaded = true
		}
		out = append(out, res)
		if cfg.Progress != nil {
			cfg.Progress(res)
		}
	}
	return out, nil
}

func warmup(ctx context.Context, cfg Config) error {
	n := min(cfg.Warmup, len(cfg.Texts))
	for _, h := range cfg.Hosts {
		e, err := cfg.Embedder(h, "embed")
		if err != nil {
			return err
		}
		if _, err := e.Embed(ctx, cfg.Texts[:n]); err != nil {
			return fmt.Errorf("warm-up on %s: %w", h, err)
		}
	}
	return nil
}

// reloadThreshold is the load_duration above which a model load happened
// during a run (a warm model reports well under a millisecond).
const reloadThreshold = 100 * time.Millisecond

func measure(ctx context.Context, cfg Config, s Strategy) (Result, error) {
	res := Result{Strategy: s}
	var hosts []engine.Host
	var loads atomic.Int64
	for _, h := range cfg.Hosts {
		e, err := cfg.Embedder(h, s.API)
		if err != nil {
			return res, err
		}
		hosts = append(hosts, engine.Host{Name: h, Embedder: watchLoad(e, &loads), Concurrency: s.Concurrency})
	}
	batch := s.BatchSize
	if s.API == "embeddings" {
		batch = 1
	}
	ec := engine.Config{
		Hosts:      hosts,
		Store:      discard{},
		Collection: "bench",
		Key:        salvo.KeySpec{Model: cfg.Model},
		BatchSize:  batch,
		Retries:    engine.DefaultRetries,
		Timeout:    cfg.Timeout,
	}
	peak := watchRSS()
	cpu0 := cpuTime()
	rep, err := engine.Run(ctx, ec, slices.Values(inputs(cfg.Texts)))
	cpu := cpuTime() - cpu0
	res.PeakRSSMB = peak()
	if err != nil {
		return res, err
	}
	res.Embedded, res.Failed, res.Requests = rep.Embedded, rep.Failed, rep.Requests
	res.Seconds, res.PerSecond = rep.Seconds, rep.PerSecond
	res.PerMinute = rep.PerSecond * 60
	res.P50, res.P95 = rep.P50, rep.P95
	res.PerHost = rep.PerHost
	if rep.Embedded > 0 {
		res.CPUPerEmb = float64(cpu) / float64(time.Millisecond) / float64(rep.Embedded)
	}
	res.reloadSeen = time.Duration(loads.Load()) > reloadThreshold
	return res, nil
}

func inputs(texts []string) []engine.Input {
	in := make([]engine.Input, len(texts))
	for i, t := range texts {
		in[i] = engine.Input{ID: strconv.Itoa(i), Text: t}
	}
	return in
}

// Best returns the fastest result without failures.
func Best(results []Result) (Result, bool) {
	var best Result
	ok := false
	for _, r := range results {
		if r.Failed == 0 && r.Err == "" && r.PerSecond > best.PerSecond {
			best, ok = r, true
		}
	}
	return best, ok
}

// Recommend says which flags to use: salvo's defaults when the adaptive
// strategy is within 5% of the best, else the best strategy's flags.
func Recommend(results []Result) string {
	best, ok := Best(results)
	if !ok {
		return "no strategy finished without failures: check the server"
	}
	for _, r := range results {
		if r.Concurrency == 0 && r.BatchSize == 0 && r.API != "embeddings" && r.Failed == 0 && r.PerSecond >= 0.95*best.PerSecond {
			return fmt.Sprintf("use salvo's defaults (adaptive: %.1f emb/s, best measured %.1f emb/s with %s)", r.PerSecond, best.PerSecond, best.Flags())
		}
	}
	return fmt.Sprintf("use %s (%.1f emb/s)", best.Flags(), best.PerSecond)
}

// watchLoad wraps an Embedder to sum the model load time servers report.
func watchLoad(e salvo.Embedder, sum *atomic.Int64) salvo.Embedder {
	return loadWatcher{e, sum}
}

type loadWatcher struct {
	salvo.Embedder
	sum *atomic.Int64
}

func (w loadWatcher) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	emb, err := w.Embedder.Embed(ctx, texts)
	if err == nil {
		w.sum.Add(int64(emb.LoadDuration))
	}
	return emb, err
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// watchRSS samples the resident set size until the returned function is
// called, which returns the peak in MB.
func watchRSS() func() float64 {
	stop := make(chan struct{})
	peak := make(chan float64)
	go func() {
		var max float64
		t := time.NewTicker(100 * time.Millisecond) // rare enough to cost nothing next to the run
		defer t.Stop()
		for {
			if r := rssMB(); r > max {
				max = r
			}
			select {
			case <-stop:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(stop); return <-peak }
}

func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()) / (1 << 20)
}

// discard is a Store that keeps nothing: a benchmark stores no vectors.
type discard struct{}

func (discard) OpenCollection(_ context.Context, c salvo.Collection) (*salvo.Collection, error) {
	return &c, nil
}
func (discard) Lookup(context.Context, string, []salvo.Item, []salvo.Presence) error { return nil }
func (discard) Put(context.Context, string, []salvo.Entry, []salvo.Item) error       { return nil }
func (discard) Collections(context.Context) ([]salvo.Collection, error)              { return nil, nil }
func (discard) Each(context.Context, string, func(string, []float32) error) error    { return nil }
func (discard) Close() error                                                         { return nil }
