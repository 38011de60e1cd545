package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkOpenNew is the fixed cost of a run on a new file: Open, which
// creates the schema, and Close.
func BenchmarkOpenNew(b *testing.B) {
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		s, err := Open(filepath.Join(dir, fmt.Sprintf("%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenExisting is the fixed cost of a run on a file at the
// current schema: Open and Close.
func BenchmarkOpenExisting(b *testing.B) {
	path := filepath.Join(b.TempDir(), "salvo.db")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	for b.Loop() {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
