//go:build unix

package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/tools/moviegen"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
)

// movieCollection stores n generated movies in a new SQLite collection
// "movies" as scripts/bench-search.sh embeds them ("Title (Year)" as text,
// title and year kept, the fake model's vectors) and opens it for search
// as salvo serve does (quantised).
func movieCollection(b *testing.B, n, dims int) *search.Collection {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "movies.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: fakeModel, Endpoint: "/api/embed", Keep: "title,year"}); err != nil {
		b.Fatal(err)
	}
	g := moviegen.New(1)
	for i := 0; i < n; i += 1000 {
		var (
			entries []salvo.Entry
			items   []salvo.Item
		)
		for j := i; j < min(i+1000, n); j++ {
			m := g.Next()
			text := fmt.Sprintf("%s (%d)", m.Title, m.Year)
			key := salvo.KeySpec{Model: fakeModel}.Key(text)
			f, _ := json.Marshal(map[string]any{"title": m.Title, "year": m.Year})
			entries = append(entries, salvo.Entry{Key: key, Vector: ollamatest.Vector(fakeModel, text, dims), Text: text})
			items = append(items, salvo.Item{ID: fmt.Sprint(j + 1), Key: key, Fields: f})
		}
		if err := st.Put(ctx, "movies", entries, items); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Index(ctx, "movies"); err != nil {
		b.Fatal(err)
	}
	c, err := search.Open(ctx, st, "movies", search.Options{Quantize: true})
	if err != nil {
		b.Fatal(err)
	}
	c.Index().Quantize()
	return c
}

// benchmarkFind runs the queries of scripts/bench-search.sh's serve load
// ("heist comedy N": a rare word, a word no title holds, and a number,
// which matches the records of that year) by mode.
func benchmarkFind(b *testing.B, n, dims int, mode search.Mode) {
	c := movieCollection(b, n, dims)
	emb := hashEmbedder{dims: dims}
	ctx := context.Background()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		i++
		q := fmt.Sprintf("heist comedy %d", 1980+i%40)
		res, err := c.Find(ctx, emb, q, "", 10, nil, mode)
		if err != nil || len(res) != 10 {
			b.Fatalf("Find(%q, %s) = %d results, %v", q, mode, len(res), err)
		}
	}
	// CPU time, which other programs on the machine change less than the
	// wall time.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system time so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkHybrid_100000x384(b *testing.B) { benchmarkFind(b, 100000, 384, search.ModeHybrid) }
func BenchmarkText_100000x384(b *testing.B)   { benchmarkFind(b, 100000, 384, search.ModeText) }
func BenchmarkVector_100000x384(b *testing.B) { benchmarkFind(b, 100000, 384, search.ModeVector) }
