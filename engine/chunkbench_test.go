package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// BenchmarkChunkPieces compares pieces per second with whole short records
// per second on the same server (2 slots, 1 ms per input): N short records
// of about a piece's length, against documents cut into about N pieces.
func BenchmarkChunkPieces(b *testing.B) {
	const ctxTokens, n = 64, 2000
	rng := rand.New(rand.NewPCG(9, 10))
	short := make([]engine.Input, n)
	for i := range short {
		short[i] = engine.Input{ID: fmt.Sprint("s", i), Text: longDoc(rng, ctxTokens/3), Where: "s"}
	}
	long := make([]engine.Input, n/10)
	for i := range long {
		long[i] = engine.Input{ID: fmt.Sprint("l", i), Text: longDoc(rng, 10*ctxTokens/3), Where: "l"}
	}
	for _, c := range []struct {
		name string
		in   []engine.Input
	}{{"whole", short}, {"pieces", long}} {
		b.Run(c.name, func(b *testing.B) {
			var texts, secs float64
			for b.Loop() {
				srv := ollamatest.New(ollamatest.Config{ContextTokens: ctxTokens, Dims: 64, Slots: 2, CostPerInput: time.Millisecond})
				st := &countStore{records: map[string]int{}, dims: 64}
				rep, err := engine.Run(context.Background(), engine.Config{
					Hosts: []engine.Host{{Name: srv.URL(), Embedder: newEnvClient(b, srv)}}, Store: st, Collection: "c",
					Key: salvo.KeySpec{Model: model, Truncate: true}, ContextTokens: ctxTokens, Chunk: engine.ChunkAuto,
				}, slices.Values(c.in))
				srv.Close()
				if err != nil || rep.Truncated != 0 || rep.Failed != 0 {
					b.Fatalf("%v: %+v", err, rep)
				}
				texts += float64(st.whole + st.pieces)
				secs += rep.Seconds
			}
			b.ReportMetric(texts/secs, "texts/s")
		})
	}
}
