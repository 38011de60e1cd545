package dbcatalog

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// TestCheckChunks: a movies_chunks that is not a table of pieces, and a
// vector column named like one of its columns, are typed errors that name
// no flag; a missing movies_chunks is fine (created at the first piece).
func TestCheckChunks(t *testing.T) {
	ctx := context.Background()
	for _, d := range writeBackDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			w, err := d.db.WriteBack(ctx, d.target("embedding"), "id", 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.CheckChunks(ctx); err != nil || w.chunksExist {
				t.Fatalf("without movies_chunks: %v (exists %v)", err, w.chunksExist)
			}
			w, err = d.db.WriteBack(ctx, d.target("chunk"), "id", 0)
			if err != nil {
				t.Fatal(err)
			}
			var te *TargetError
			if err := w.CheckChunks(ctx); !errors.As(err, &te) || strings.Contains(err.Error(), "--") {
				t.Errorf("a vector column named chunk: %v", err)
			}
		})
	}
}

func TestRecordVector(t *testing.T) {
	rows := []pieceRow{{chunk: 0, start: 0, end: 30, vec: []float32{1, 0}}, {chunk: 1, start: 25, end: 35, vec: []float32{0, 1}}}
	v := recordVector(rows, 2)
	// Weights 30 and 10: (30, 10) at unit length.
	if len(v) != 2 || math.Abs(float64(v[0])-3/math.Sqrt(10)) > 1e-6 || math.Abs(float64(v[1])-1/math.Sqrt(10)) > 1e-6 {
		t.Errorf("recordVector = %v", v)
	}
	if recordVector(rows, 3) != nil || recordVector(rows[1:], 1) != nil {
		t.Error("a record whose pieces are not all there has a vector")
	}
}
