package postgres_test

import (
	"testing"

	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

// go test -run='^$' -bench='Put|Lookup' -benchtime=200x ./postgres
//
// Put of 64 new 768-dim entries per transaction, as salvo's writer stores a
// batch, on PostgreSQL 15 with its default durability (fsync on every
// commit), with COPY and with multi-row INSERTs, and on PGlite with
// pgvector (INSERTs, the vector column and the HNSW index). Lookup reports
// µs per item over 100,000 stored items. Vectors reads 100,000 × 768
// stored as bytea on PostgreSQL 15 (what salvo search loads without
// pgvector): go test -run='^$' -bench=Vectors -benchtime=5x ./postgres

func BenchmarkPut_64x768_COPY(b *testing.B) {
	storetest.BenchmarkPut(b, open(b, pgtest.DurablePostgreSQL(b)), 64, 768)
}

// The words index's cost: the same Puts with kept fields, with the index
// and without it (its trigger dropped), on one server.
//
//	go test -run='^$' -bench='Put_64x768_(COPY|Kept)' -benchtime=300x -count=3 ./postgres
func BenchmarkPut_64x768_Kept(b *testing.B) {
	storetest.BenchmarkPutKept(b, open(b, pgtest.DurablePostgreSQL(b)), 64, 768)
}

func BenchmarkPut_64x768_Kept_NoWords(b *testing.B) {
	s := open(b, pgtest.DurablePostgreSQL(b))
	if err := postgres.DropWords(s); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkPutKept(b, s, 64, 768)
}

func BenchmarkPut_64x768_COPY_NoWords(b *testing.B) {
	s := open(b, pgtest.DurablePostgreSQL(b))
	if err := postgres.DropWords(s); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkPut(b, s, 64, 768)
}

func BenchmarkPut_64x768_INSERT(b *testing.B) {
	s := open(b, pgtest.DurablePostgreSQL(b))
	postgres.SetCopy(s, false)
	storetest.BenchmarkPut(b, s, 64, 768)
}

func BenchmarkPut_64x768_PGlite(b *testing.B) {
	storetest.BenchmarkPut(b, open(b, pgtest.PGlite(b)), 64, 768)
}

func BenchmarkLookup_100000(b *testing.B) {
	storetest.BenchmarkLookup(b, open(b, pgtest.DurablePostgreSQL(b)), 100000, 768)
}

func BenchmarkVectors_100000x768(b *testing.B) {
	storetest.BenchmarkVectors(b, open(b, pgtest.PostgreSQL(b)), 100000, 768)
}
