package bench

import (
	"fmt"
	"io"
)

// WriteTable prints results as a Markdown table, with each strategy's speed
// relative to the sequential one (the guide's basic approach), or to the
// first result when there is none.
func WriteTable(w io.Writer, results []Result) {
	if len(results) == 0 {
		return
	}
	base := results[0].PerSecond
	for _, r := range results {
		if r.API == "embeddings" && r.Concurrency == 1 {
			base = r.PerSecond
			break
		}
	}
	fmt.Fprintln(w, "| strategy | flags | emb/s | emb/min | × sequential | p50 ms | p95 ms | client CPU ms/emb | peak RSS MB | failed |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		ratio := 0.0
		if base > 0 {
			ratio = r.PerSecond / base
		}
		name := r.Name
		if r.Reloaded {
			name += " (re-run after a model reload)"
		}
		fmt.Fprintf(w, "| %s | `%s` | %.1f | %.0f | %.2f | %.0f | %.0f | %.3f | %.0f | %d |\n",
			name, r.Flags(), r.PerSecond, r.PerMinute, ratio, r.P50, r.P95, r.CPUPerEmb, r.PeakRSSMB, r.Failed)
	}
}
