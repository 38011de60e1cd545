package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// addHosts adds one adaptive host per server to cfg, after e's own, which
// becomes adaptive too (the CLI's default).
func addHosts(t *testing.T, e *env, cfg *engine.Config, srvs ...*ollamatest.Server) {
	t.Helper()
	cfg.Hosts[0].Concurrency = 0
	for _, s := range srvs {
		cfg.Hosts = append(cfg.Hosts, engine.Host{Name: s.URL(), Embedder: newEnvClient(t, s)})
	}
}

func newServer(t *testing.T, cfg ollamatest.Config) *ollamatest.Server {
	s := ollamatest.New(cfg)
	t.Cleanup(s.Close)
	return s
}

// checkOnce asserts that every text was embedded by exactly one server and
// that the report's per-host figures add up to the run's.
func checkOnce(t *testing.T, rep *engine.Report, n int, srvs ...*ollamatest.Server) {
	t.Helper()
	sum := 0
	for _, s := range srvs {
		sum += s.Stats().Embedded
	}
	if sum != n || rep.Embedded != int64(n) {
		t.Errorf("servers embedded %d texts, the report says %d, want %d each: every text once", sum, rep.Embedded, n)
	}
	if len(rep.PerHost) != len(srvs) {
		t.Fatalf("%d per-host figures for %d hosts", len(rep.PerHost), len(srvs))
	}
	var emb, reqs int64
	for i, h := range rep.PerHost {
		emb += h.Embedded
		reqs += h.Requests
		if h.Name != srvs[i].URL() || h.State != "up" || h.Embedded != int64(srvs[i].Stats().Embedded) {
			t.Errorf("host %d: %+v, want %s up with %d embedded", i, h, srvs[i].URL(), srvs[i].Stats().Embedded)
		}
		if h.Requests > 0 && (h.P50 <= 0 || h.P95 < h.P50) {
			t.Errorf("host %d: p50 %v ms, p95 %v ms", i, h.P50, h.P95)
		}
	}
	if emb != int64(n) || reqs != rep.Requests {
		t.Errorf("per host: %d embedded, %d requests; the run: %d, %d", emb, reqs, n, rep.Requests)
	}
}

// Every host takes work, even in a run too small to fill the first host's
// workers: a host takes a batch only when its limit has room. The servers
// hold their requests until each has some, so the first host can take no
// more than its limit (4 to start with). Before, the first host's 32
// workers took every batch and the others none. The servers hold every
// request until all three have one, so the test does not depend on timing.
func TestEveryHostGetsWork(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	b, c := newServer(t, ollamatest.Config{}), newServer(t, ollamatest.Config{})
	cfg := e.config()
	addHosts(t, e, &cfg, b, c)
	srvs := []*ollamatest.Server{e.srv, b, c}
	var release []func()
	for _, s := range srvs {
		release = append(release, s.Gate())
	}
	defer func() {
		for _, r := range release {
			r()
		}
	}()
	in := inputs(200) // 25 batches of 8
	done := make(chan *engine.Report, 1)
	go func() { done <- e.run(cfg, in) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, s := range srvs {
		if err := s.Await(ctx, func(st ollamatest.Stats) bool { return st.InFlight > 0 }); err != nil {
			t.Fatalf("server %d got no request while the others held theirs: %v", i, err)
		}
	}
	for _, r := range release {
		r()
	}
	rep := <-done
	checkOnce(t, rep, len(in), srvs...)
	e.checkStored(in)
}

// A slow host takes fewer texts than a fast one, even when it is the first
// host (whose workers the old code served first).
func TestSlowHostGetsLess(t *testing.T) {
	e := newEnv(t, ollamatest.Config{CostPerInput: 10 * time.Millisecond}) // 100 texts/s
	fast := newServer(t, ollamatest.Config{CostPerInput: time.Millisecond})
	cfg := e.config()
	addHosts(t, e, &cfg, fast)
	in := inputs(400)
	rep := e.run(cfg, in)
	checkOnce(t, rep, len(in), e.srv, fast)
	e.checkStored(in)
	if s, f := rep.PerHost[0].Embedded, rep.PerHost[1].Embedded; s >= f {
		t.Errorf("the slow host embedded %d texts, the fast one %d: want fewer", s, f)
	}
}
