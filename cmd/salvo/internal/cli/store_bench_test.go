package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// BenchmarkEmbedStore runs salvo embed over 5,000 generated movies against
// a server that answers at once (64 slots, no cost, 768 dimensions), so the
// store is what limits: it reports stored vectors per second.
//
//	go test -run='^$' -bench=EmbedStore -benchtime=3x ./cmd/salvo/internal/cli
func BenchmarkEmbedStore(b *testing.B) {
	const n = 5000
	dir := b.TempDir()
	catalog := filepath.Join(dir, "movies.jsonl")
	f, err := os.Create(catalog)
	if err != nil {
		b.Fatal(err)
	}
	if err := moviegen.Generate(5, n, f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	stores := []struct {
		name string
		db   func(b *testing.B, i int) string
	}{
		{"SQLite", func(b *testing.B, i int) string { return filepath.Join(b.TempDir(), "salvo.db") }},
		{"PostgreSQL", func(b *testing.B, i int) string { return pgtest.DurablePostgreSQL(b).Fresh(b) }},
		{"PGlite", func(b *testing.B, i int) string { return pgtest.PGlite(b).Fresh(b) }},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := ollamatest.New(ollamatest.Config{Slots: 64, Dims: 768})
			defer s.Close()
			stored, i := 0, 0
			for b.Loop() {
				b.StopTimer()
				db := st.db(b, i)
				i++
				b.StartTimer()
				var out, errb bytes.Buffer
				code := Main(context.Background(), []string{"embed", catalog, "--host", s.URL(), "--db", db,
					"--text", moviesTemplate, "--json", "--quiet", "--failures", filepath.Join(dir, "f.jsonl")},
					Stdio{In: strings.NewReader(""), Out: &out, Err: &errb, IsTerminal: func() bool { return false }})
				if code != ExitOK {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
				var rep struct{ Embedded, Cached int }
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					b.Fatal(err)
				}
				stored += rep.Embedded + rep.Cached
			}
			b.ReportMetric(float64(stored)/b.Elapsed().Seconds(), "vectors/s")
		})
	}
}
