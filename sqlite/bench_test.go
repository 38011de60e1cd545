package sqlite_test

import (
	"testing"

	"github.com/salvoembed/salvo/storetest"
)

// go test -run='^$' -bench='Put|Lookup' -benchtime=1000x ./sqlite
// Lookup reports ns and CPU ns per item, Put per entry.

func BenchmarkLookup_1000(b *testing.B)   { storetest.BenchmarkLookup(b, open(b), 1000, 768) }
func BenchmarkLookup_100000(b *testing.B) { storetest.BenchmarkLookup(b, open(b), 100000, 768) }

func BenchmarkPut_64x768(b *testing.B)  { storetest.BenchmarkPut(b, open(b), 64, 768) }
func BenchmarkPut_64x1024(b *testing.B) { storetest.BenchmarkPut(b, open(b), 64, 1024) }

func BenchmarkVectors_100000x768(b *testing.B) { storetest.BenchmarkVectors(b, open(b), 100000, 768) }
