package storetest

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// LookupChunk is the number of items salvo's engine looks up per call.
const LookupChunk = 256

// benchKey is a cheap distinct key, so that benchmarks time the store and
// not sha256.
func benchKey(n int) salvo.Key {
	var k salvo.Key
	binary.LittleEndian.PutUint64(k[:], uint64(n))
	k[31] = 0xb5
	return k
}

// benchID is a distinct record ID for n; IDs in the order of n are
// scattered over the ID order, as a catalog's IDs usually are.
func benchID(n int) string {
	return fmt.Sprintf("tt%08d", (n*7919)%100_000_000) // 7919 is prime: no repeats below 10^8
}

// Fill stores n items of dims dimensions in the collection, creating it,
// in Puts of 256, and returns the items.
func Fill(tb testing.TB, s salvo.Store, coll string, n, dims int) []salvo.Item {
	tb.Helper()
	mustOpen(tb, s, coll, "bench")
	all := make([]salvo.Item, 0, n)
	v := Vector(1, dims)
	for start := 0; start < n; start += 256 {
		var (
			es    []salvo.Entry
			items []salvo.Item
		)
		for i := start; i < min(n, start+256); i++ {
			es = append(es, salvo.Entry{Key: benchKey(i), Vector: v})
			items = append(items, salvo.Item{ID: benchID(i), Key: benchKey(i)})
		}
		mustPut(tb, s, coll, es, items)
		all = append(all, items...)
	}
	return all
}

// BenchmarkLookup times Lookup over n stored items of dims dimensions in
// chunks of [LookupChunk], as a re-run over an unchanged catalog does. It
// reports ns per item.
func BenchmarkLookup(b *testing.B, s salvo.Store, n, dims int) {
	if n < LookupChunk {
		b.Fatalf("BenchmarkLookup needs at least %d items, got %d", LookupChunk, n)
	}
	items := Fill(b, s, "bench", n, dims)
	out := make([]salvo.Presence, LookupChunk)
	ctx := context.Background()
	looked, next := 0, 0
	c0 := cpuNow()
	for b.Loop() {
		if next+LookupChunk > len(items) {
			next = 0
		}
		chunk := items[next : next+LookupChunk]
		if err := s.Lookup(ctx, "bench", chunk, out); err != nil {
			b.Fatal(err)
		}
		if out[0] != salvo.Stored || out[LookupChunk-1] != salvo.Stored {
			b.Fatalf("stored items not found: %v %v", out[0], out[LookupChunk-1])
		}
		next += LookupChunk
		looked += LookupChunk
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(looked), "ns/item")
	reportCPU(b, c0, looked, "cpu-ns/item")
}

// BenchmarkPut times Puts of batch new entries of dims dimensions, each with
// its item, as salvo's writer stores an embedded batch. It reports ns per
// entry.
func BenchmarkPut(b *testing.B, s salvo.Store, batch, dims int) { benchmarkPut(b, s, batch, dims, nil) }

// BenchmarkPutKept is BenchmarkPut with kept fields on every item (a
// title, a year and a list of genres, as embed --keep stores them).
func BenchmarkPutKept(b *testing.B, s salvo.Store, batch, dims int) {
	benchmarkPut(b, s, batch, dims, func(n int) []byte {
		return fmt.Appendf(nil, `{"title":"The Movie Number %d","year":%d,"genres":["Drama","Comedy"]}`, n, 1950+n%70)
	})
}

func benchmarkPut(b *testing.B, s salvo.Store, batch, dims int, fields func(n int) []byte) {
	mustOpen(b, s, "bench", "bench")
	ctx := context.Background()
	es := make([]salvo.Entry, batch)
	items := make([]salvo.Item, batch)
	for i := range es {
		es[i].Vector = Vector(i, dims)
		es[i].Text = fmt.Sprintf("a text of some sixty characters, as a movie record makes %d", i)
	}
	n := 0
	b.SetBytes(int64(batch * dims * 4))
	c0 := cpuNow()
	for b.Loop() {
		for i := range es {
			es[i].Key = benchKey(n)
			items[i] = salvo.Item{ID: benchID(n), Key: es[i].Key}
			if fields != nil {
				items[i].Fields = fields(n)
			}
			n++
		}
		if err := s.Put(ctx, "bench", es, items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/entry")
	reportCPU(b, c0, n, "cpu-ns/entry")
}

// reportCPU reports the process's CPU time since c0 per unit: on a shared
// machine it varies less than wall time, and the difference between the two
// is time spent waiting, mostly for fsync.
func reportCPU(b *testing.B, c0 time.Duration, units int, name string) {
	if c1 := cpuNow(); c1 > 0 && units > 0 {
		b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(units), name)
	}
}

// BenchmarkVectors times a store's VectorReader over n stored items of dims
// dimensions, as a cold salvo search reads the collection. It reports ms
// per read.
func BenchmarkVectors(b *testing.B, s salvo.Store, n, dims int) {
	vr, ok := s.(salvo.VectorReader)
	if !ok {
		b.Skipf("%T has no VectorReader", s)
	}
	Fill(b, s, "bench", n, dims)
	ctx := context.Background()
	b.SetBytes(int64(n * dims * 4))
	c0 := cpuNow()
	reads := 0
	for b.Loop() {
		ids, _, _, err := vr.Vectors(ctx, "bench")
		if err != nil || len(ids) != n {
			b.Fatalf("Vectors: %d IDs, %v; want %d", len(ids), err, n)
		}
		reads++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(reads), "ms/read")
	reportCPU(b, c0, reads, "cpu-ns/read")
}
