package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/sqlite"
)

// fleet is a run against several ollamatest servers of known capacity, with
// the CLI's defaults: adaptive limits, automatic batch size, total known.
type fleet struct {
	srvs []*ollamatest.Server
	cap  float64 // inputs per second the servers give together
	st   *sqlite.Store
}

// newFleet starts one server per entry of costs, each with 2 slots that take
// cost per input: 20 ms is 100 inputs/s.
func newFleet(tb testing.TB, costs ...time.Duration) *fleet {
	tb.Helper()
	f := &fleet{}
	for _, c := range costs {
		s := ollamatest.New(ollamatest.Config{Slots: 2, CostPerInput: c})
		tb.Cleanup(s.Close)
		f.srvs = append(f.srvs, s)
		f.cap += 2 / c.Seconds()
	}
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "t.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	f.st = st
	return f
}

// run embeds in into a new collection named coll with the CLI's defaults.
func (f *fleet) run(tb testing.TB, coll string, in []engine.Input) *engine.Report {
	tb.Helper()
	ctx := context.Background()
	if _, err := f.st.OpenCollection(ctx, salvo.Collection{Name: coll, Model: model}); err != nil {
		tb.Fatal(err)
	}
	var hosts []engine.Host
	for _, s := range f.srvs {
		hosts = append(hosts, engine.Host{Name: s.URL(), Embedder: newEnvClient(tb, s)})
	}
	counters := new(engine.Counters)
	counters.Total.Store(int64(len(in)))
	rep, err := engine.Run(ctx, engine.Config{
		Hosts: hosts, Store: f.st, Collection: coll, Key: salvo.KeySpec{Model: model},
		Retries: engine.DefaultRetries, Counters: counters, Force: true, // every iteration embeds again
	}, slices.Values(in))
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// BenchmarkDispatch embeds 1,500 records over servers of known capacity and
// reports the share of their joint capacity reached ("of_capacity") and the
// texts each server embedded ("host0_texts"...).
//
//	go test ./engine -run '^$' -bench Dispatch -benchtime 3x
func BenchmarkDispatch(b *testing.B) {
	for _, tc := range []struct {
		name  string
		costs []time.Duration
	}{
		{"3x100", []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}},
		{"100+100+25", []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFleet(b, tc.costs...)
			in := inputs(1500)
			var frac float64
			split := make([]float64, len(f.srvs))
			var before []int
			for _, s := range f.srvs {
				before = append(before, s.Stats().Embedded)
			}
			for i := 0; b.Loop(); i++ {
				rep := f.run(b, fmt.Sprintf("c%d", i), in)
				if rep.Embedded != int64(len(in)) {
					b.Fatalf("embedded %d of %d", rep.Embedded, len(in))
				}
				frac += rep.PerSecond / f.cap
			}
			var parts []string
			for i, s := range f.srvs {
				split[i] = float64(s.Stats().Embedded-before[i]) / float64(b.N)
				b.ReportMetric(split[i], fmt.Sprintf("host%d_texts", i))
				parts = append(parts, fmt.Sprintf("%.0f", split[i]))
			}
			b.ReportMetric(frac/float64(b.N), "of_capacity")
			b.Logf("%.2f of %.0f/s, split %s", frac/float64(b.N), f.cap, strings.Join(parts, "/"))
		})
	}
}
