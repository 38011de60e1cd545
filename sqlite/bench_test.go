package sqlite_test

import (
	"context"
	"testing"

	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

// go test -run='^$' -bench='Put|Lookup' -benchtime=1000x ./sqlite
// Lookup reports ns and CPU ns per item, Put per entry.

func BenchmarkLookup_1000(b *testing.B)   { storetest.BenchmarkLookup(b, open(b), 1000, 768) }
func BenchmarkLookup_100000(b *testing.B) { storetest.BenchmarkLookup(b, open(b), 100000, 768) }

func BenchmarkPut_64x768(b *testing.B) { storetest.BenchmarkPut(b, open(b), 64, 768) }

// The words index's cost: the same Puts with kept fields, with the index
// (as salvo stores) and without it (its triggers dropped).
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
