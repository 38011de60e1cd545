package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

// go test -run='^$' -bench='Put|Lookup' -benchtime=1000x ./sqlite
// Lookup reports ns and CPU ns per item, Put per entry.

func BenchmarkLookup_1000(b *testing.B)   { storetest.BenchmarkLookup(b, open(b), 1000, 768) }
func BenchmarkLookup_100000(b *testing.B) { storetest.BenchmarkLookup(b, open(b), 100000, 768) }

func BenchmarkPut_64x768(b *testing.B) { storetest.BenchmarkPut(b, open(b), 64, 768) }

// The words index's cost to a Put: the same Puts with kept fields, as salvo
// stores (the triggers note the items whose words are due) and with its
// triggers dropped. BenchmarkIndexWords is the rest of its cost, paid by
// the first search by words.
//
//	go test -run='^$' -bench='Put_64x768' -benchtime=2000x -count=3 ./sqlite
func BenchmarkPut_64x768_Kept(b *testing.B) { storetest.BenchmarkPutKept(b, open(b), 64, 768) }
func BenchmarkPut_64x768_Kept_NoWords(b *testing.B) {
	s := open(b)
	if err := sqlite.DropWords(s); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkPutKept(b, s, 64, 768)
}
func BenchmarkPut_64x768_NoWords(b *testing.B) {
	s := open(b)
	if err := sqlite.DropWords(s); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkPut(b, s, 64, 768)
}

// BenchmarkIndexWords_1024_Kept times IndexWords after each Put of 1,024
// records with kept fields (the Put untimed): what the first search by
// words after a run spends on each record the run stored.
//
//	go test -run='^$' -bench='IndexWords' -benchtime=20x -count=3 ./sqlite
func BenchmarkIndexWords_1024_Kept(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "bench", Model: "bench"}); err != nil {
		b.Fatal(err)
	}
	const batch = 1024
	es := make([]salvo.Entry, batch)
	items := make([]salvo.Item, batch)
	n := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range es {
			text := fmt.Sprintf("The Movie Number %d (%d). Drama, Comedy. A story of some sixty characters, as a movie record makes", n, 1950+n%70)
			es[j] = salvo.Entry{Key: salvo.KeySpec{Model: "bench"}.Key(text), Vector: storetest.Vector(n, 768), Text: text}
			items[j] = salvo.Item{ID: fmt.Sprint(n), Key: es[j].Key, Fields: fmt.Appendf(nil, `{"title":"The Movie Number %d","year":%d,"genres":["Drama","Comedy"],"director":"Ann Smith %d"}`, n, 1950+n%70, n%97)}
			n++
		}
		if err := s.Put(ctx, "bench", es, items); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if got, err := s.IndexWords(ctx); err != nil || got != batch {
			b.Fatalf("IndexWords = %d, %v; want %d", got, err, batch)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

func BenchmarkPut_64x1024(b *testing.B) { storetest.BenchmarkPut(b, open(b), 64, 1024) }

// The same with a Put of 1,024 records, what the writer commits when
// answers wait for it (a fast server).
//
//	go test -run='^$' -bench='Put_1024x768_Kept' -benchtime=40x -count=3 ./sqlite
func BenchmarkPut_1024x768_Kept(b *testing.B) { storetest.BenchmarkPutKept(b, open(b), 1024, 768) }
func BenchmarkPut_1024x768_Kept_NoWords(b *testing.B) {
	s := open(b)
	if err := sqlite.DropWords(s); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkPutKept(b, s, 1024, 768)
}

func BenchmarkVectors_100000x768(b *testing.B) { storetest.BenchmarkVectors(b, open(b), 100000, 768) }

// BenchmarkVectorFile_100000x768 is what a cold salvo search does with a
// current vector file: a read-only open, then Vectors (the file mapped and
// its checksum verified), each time in a new Store.
func BenchmarkVectorFile_100000x768(b *testing.B) {
	s := open(b)
	storetest.Fill(b, s, "bench", 100000, 768)
	ctx := context.Background()
	if err := s.Index(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100000 * 768 * 4)
	for b.Loop() {
		ro, err := sqlite.OpenReadOnly(s.Path())
		if err != nil {
			b.Fatal(err)
		}
		ids, _, _, err := ro.Vectors(ctx, "bench")
		if err != nil || len(ids) != 100000 {
			b.Fatalf("Vectors: %d IDs, %v", len(ids), err)
		}
		ro.Close()
	}
}
