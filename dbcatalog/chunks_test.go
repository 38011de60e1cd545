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

// TestChunkTableChoice: the pieces of the column that movies_chunks was
// made for, or of the first column when there is none, go into
// movies_chunks; another column's into movies_<column>_chunks, which is
// refused when it is not a table of pieces of the column; a column whose
// pieces are in movies_<column>_chunks keeps it; on PostgreSQL, a name
// longer than 63 bytes is a typed error.
func TestChunkTableChoice(t *testing.T) {
	ctx := context.Background()
	for _, d := range writeBackDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			prefix := ""
			if d.schema != "" {
				prefix = d.schema + "."
			}
			choose := func(col string) (*WriteBack, error) {
				t.Helper()
				w, err := d.db.WriteBack(ctx, d.target(col), "id", 0)
				if err != nil {
					t.Fatal(err)
				}
				return w, w.CheckChunks(ctx)
			}
			chosen := func(col, want string, exists bool) {
				t.Helper()
				w, err := choose(col)
				if err != nil || w.ChunkTable() != prefix+want || w.chunksExist != exists {
					t.Errorf("column %s: %v, table %s (exists %v), want %s%s (exists %v)", col, err, w.ChunkTable(), w.chunksExist, prefix, want, exists)
				}
			}
			refused := func(col, table string) {
				t.Helper()
				var ce *ChunkTableError
				if _, err := choose(col); !errors.As(err, &ce) || !strings.Contains(ce.Table, table) || strings.Contains(err.Error(), "--") {
					t.Errorf("column %s: %v, want a ChunkTableError naming %s", col, err, table)
				}
			}
			pieces := func(table, col string) string {
				return `CREATE TABLE {s}` + table + ` (id integer, chunk integer NOT NULL, start integer NOT NULL, "end" integer NOT NULL, ` +
					col + ` ` + d.vecType + ` NOT NULL, PRIMARY KEY (id, chunk))`
			}
			chosen("a", "movies_chunks", false)
			d.exec(t, pieces("movies_chunks", "a"))
			chosen("a", "movies_chunks", true)
			chosen("b", "movies_b_chunks", false)
			d.exec(t, pieces("movies_b_chunks", "b"))
			chosen("b", "movies_b_chunks", true)
			chosen("a", "movies_chunks", true)

			d.exec(t, "CREATE TABLE {s}movies_c_chunks (id integer, chunk integer, note text)")
			refused("c", "movies_c_chunks")
			d.exec(t, "DROP TABLE {s}movies_b_chunks; CREATE TABLE {s}movies_b_chunks (id integer, chunk integer, start integer, \"end\" integer, b "+d.vecType+")")
			refused("b", "movies_b_chunks") // no primary key

			// Without movies_chunks, a column keeps its own table; a new
			// one takes movies_chunks.
			d.exec(t, "DROP TABLE {s}movies_chunks; DROP TABLE {s}movies_b_chunks")
			d.exec(t, pieces("movies_b_chunks", "b"))
			chosen("b", "movies_b_chunks", true)
			chosen("d", "movies_chunks", false)

			// movies_chunks of no column's pieces: refused for every column.
			d.exec(t, "CREATE TABLE {s}movies_chunks (id integer, chunk integer, start integer, \"end\" integer, note text, PRIMARY KEY (id, chunk))")
			refused("a", "movies_chunks")
			refused("b", "movies_chunks")

			if d.schema == "" {
				return
			}
			var long *NameTooLongError
			d.exec(t, "DROP TABLE {s}movies_chunks")
			d.exec(t, pieces("movies_chunks", "a"))
			col := strings.Repeat("x", 50) // movies_x…_chunks: 64 bytes
			if _, err := choose(col); !errors.As(err, &long) || long.Name != "movies_"+col+"_chunks" || !strings.Contains(err.Error(), "63 bytes") {
				t.Errorf("a table of pieces of 64 bytes: %v", err)
			}
			chosen(col[:49], "movies_"+col[:49]+"_chunks", false) // 63 bytes
			col = strings.Repeat("y", 64)
			if _, err := d.db.WriteBack(ctx, d.target(col), "id", 0); !errors.As(err, &long) || long.Kind != "column" {
				t.Errorf("a column of 64 bytes: %v", err)
			}
		})
	}
}
