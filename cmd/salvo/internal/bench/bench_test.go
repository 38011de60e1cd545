package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cmd/salvo/internal/bench"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
)

func TestRunMeasuresEveryStrategyAndStoresNothing(t *testing.T) {
	srv := ollamatest.New(ollamatest.Config{Slots: 2, LoadDuration: 2e9})
	defer srv.Close()
	texts := make([]string, 40)
	for i := range texts {
		texts[i] = fmt.Sprintf("text number %d", i)
	}
	cfg := bench.Config{
		Hosts: []string{srv.URL()}, Model: "nomic-embed-text", Texts: texts, Warmup: 4,
		Embedder: func(host, api string) (salvo.Embedder, error) {
			return ollama.New(host, ollama.Options{Model: "nomic-embed-text", API: ollama.API(api)})
		},
	}
	strategies := bench.QuickStrategies()
	res, err := bench.Run(context.Background(), cfg, strategies)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(strategies) {
		t.Fatalf("%d results for %d strategies", len(res), len(strategies))
	}
	for _, r := range res {
		if r.Embedded != 40 || r.Failed != 0 || r.PerSecond <= 0 || r.PerMinute != r.PerSecond*60 {
			t.Errorf("%s: %+v", r.Name, r)
		}
		if r.Reloaded {
			t.Errorf("%s: the warm-up took the cold load; no strategy should see it", r.Name)
		}
	}
	// Single-text strategies send one request per text; batched ones fewer.
	if res[0].Requests != 40 || res[2].Requests >= 40 {
		t.Errorf("requests: sequential %d, batched %d", res[0].Requests, res[2].Requests)
	}
	if got := srv.Stats().ByPath["/api/embeddings"]; got != 80 {
		t.Errorf("/api/embeddings got %d requests, want 80 (two single-text strategies × 40)", got)
	}

	var buf bytes.Buffer
	bench.WriteTable(&buf, res)
	if lines := strings.Count(buf.String(), "\n"); lines != 2+len(res) {
		t.Errorf("table has %d lines:\n%s", lines, buf.String())
	}
	if rec := bench.Recommend(res); !strings.HasPrefix(rec, "use ") {
		t.Errorf("recommendation %q", rec)
	}
}

func TestRecommend(t *testing.T) {
	auto := bench.Result{Strategy: bench.Strategy{Name: "auto", API: "embed"}, PerSecond: 98}
	best := bench.Result{Strategy: bench.Strategy{Name: "b", API: "embed", Concurrency: 2, BatchSize: 64}, PerSecond: 100}
	broken := bench.Result{Strategy: bench.Strategy{Name: "x", API: "embed", Concurrency: 9, BatchSize: 9}, PerSecond: 500, Failed: 3}
	if r := bench.Recommend([]bench.Result{best, auto, broken}); !strings.Contains(r, "defaults") {
		t.Errorf("auto within 5%%: %q", r)
	}
	auto.PerSecond = 50
	if r := bench.Recommend([]bench.Result{best, auto, broken}); !strings.Contains(r, "--concurrency 2 --batch-size 64") {
		t.Errorf("auto far behind: %q", r)
	}
	if r := bench.Recommend([]bench.Result{broken}); !strings.Contains(r, "no strategy") {
		t.Errorf("all failed: %q", r)
	}
}
