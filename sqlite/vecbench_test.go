package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// BenchmarkIndexSpool_20000x768 writes the vector file of a new collection
// of 20,000 records from the spool, as at the end of salvo embed.
func BenchmarkIndexSpool_20000x768(b *testing.B) { benchmarkIndex(b, "memory") }

// BenchmarkIndexSpoolFile_20000x768: the same from the spool's file, as
// after a run of more than 43,000 records.
func BenchmarkIndexSpoolFile_20000x768(b *testing.B) { benchmarkIndex(b, "file") }

// BenchmarkIndexDatabase_20000x768: the same read from the database, as
// when the spool missed a change.
func BenchmarkIndexDatabase_20000x768(b *testing.B) { benchmarkIndex(b, "database") }

func benchmarkIndex(b *testing.B, from string) {
	const n, dims = 20000, 768
	if from == "file" {
		defer func(m int) { maxSpool = m }(maxSpool)
		maxSpool = 1 << 16
	}
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		b.Fatal(err)
	}
	cid, err := s.collectionID(ctx, "c")
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < n; lo += 1000 {
		var seeds []int
		var items []salvo.Item
		for i := lo; i < lo+1000; i++ {
			seeds = append(seeds, i)
			items = append(items, salvo.Item{ID: fmt.Sprintf("movie-%d", i*7919%n), Key: storetest.Key(i)})
		}
		if err := s.Put(ctx, "c", storetest.Entries(dims, seeds...), items); err != nil {
			b.Fatal(err)
		}
	}
	sp := s.takeSpool(cid)
	if sp == nil || (sp.file != nil) != (from == "file") {
		b.Fatalf("spool %v, want one from %s", sp, from)
	}
	defer sp.free()
	b.SetBytes(n * dims * 4)
	b.ResetTimer()
	for range b.N {
		if from == "database" {
			_, err = s.indexFromDatabase(ctx, "c", cid)
		} else {
			_, err = s.indexFromSpool(ctx, cid, sp)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
