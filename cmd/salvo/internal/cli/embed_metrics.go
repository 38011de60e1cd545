package cli

import (
	"fmt"

	"github.com/salvoembed/salvo/cmd/salvo/internal/metrics"
	"github.com/salvoembed/salvo/engine"
)

// serveMetrics starts the Prometheus endpoint of --metrics-addr; with addr
// empty it returns a nil set and does nothing. Any command may call it; the
// caller stops the endpoint with stop.
func serveMetrics(addr string, stdio Stdio, quiet bool) (set *metrics.Set, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	set = metrics.New()
	srv, err := metrics.Serve(addr, set.Handler())
	if err != nil {
		return nil, nil, usageError("--metrics-addr %s: %v (choose another address, e.g. 127.0.0.1:0 for a free port)", addr, err)
	}
	if !quiet {
		fmt.Fprintf(stdio.Err, "salvo: metrics on http://%s/metrics\n", srv.Addr())
	}
	return set, func() { srv.Close() }, nil
}

// instrument makes set report each host's requests (through its
// embedder) and limit (through a limiter given to the engine); each run
// gives the set its counters. A nil set changes nothing.
func instrument(set *metrics.Set, hosts []engine.Host) {
	if set == nil {
		return
	}
	for i := range hosts {
		h := &hosts[i]
		if h.Limiter == nil {
			h.Limiter = engine.NewLimiter(engine.LimiterConfig{Fixed: h.Concurrency})
		}
		h.Embedder = set.Host(h.Name, h.Embedder, h.Limiter)
	}
}
