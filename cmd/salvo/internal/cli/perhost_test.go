package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// With several hosts, the report shows each one's share: on stderr, and in
// --json under "per_host", while "hosts" stays the number of hosts.
func TestPerHostFigures(t *testing.T) {
	a, b := server(t, ollamatest.Config{}), server(t, ollamatest.Config{})
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 100 {
		fmt.Fprintf(&lines, `{"id":%d,"text":"movie %d"}`+"\n", i, i)
	}
	in := writeFile(t, dir, "m.jsonl", lines.String())
	r := run(t, "", "embed", in, "--host", a.URL()+","+b.URL(), "--db", filepath.Join(dir, "m.db"), "--batch-size", "4", "--json")
	m := r.summary(t)
	if r.code != ExitOK || num(m, "embedded") != 100 || num(m, "hosts") != 2 {
		t.Fatalf("exit %d %v: %s", r.code, m, r.err)
	}
	per, _ := m["per_host"].([]any)
	if len(per) != 2 {
		t.Fatalf("per_host = %v, want 2 entries", m["per_host"])
	}
	total := 0
	for i, s := range []*ollamatest.Server{a, b} {
		h, _ := per[i].(map[string]any)
		if h["name"] != s.URL() || h["state"] != "up" || num(h, "embedded") != s.Stats().Embedded || num(h, "requests") != s.Stats().Requests {
			t.Errorf("per_host[%d] = %v; server %s embedded %d in %d requests", i, h, s.URL(), s.Stats().Embedded, s.Stats().Requests)
		}
		if _, ok := h["p95_ms"].(float64); !ok {
			t.Errorf("per_host[%d] has no p95_ms: %v", i, h)
		}
		total += num(h, "embedded")
	}
	if total != 100 {
		t.Errorf("per-host embedded add up to %d, want 100", total)
	}
	r = run(t, "", "embed", in, "--host", a.URL()+","+b.URL(), "--db", filepath.Join(dir, "n.db"), "--batch-size", "4")
	for _, s := range []*ollamatest.Server{a, b} {
		if !strings.Contains(r.err, s.URL()+": ") || !strings.Contains(r.err, "embedded") {
			t.Errorf("the report does not show host %s:\n%s", s.URL(), r.err)
		}
	}
}
