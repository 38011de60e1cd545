package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// TestChunkWriteBackTwoColumns: one table embedded by two models into two
// columns, both cutting long texts into pieces. The first column's pieces
// go into docs_chunks, the second's into docs_emb_large_chunks; each
// column's rows hold the means of its own pieces; re-runs of either send
// nothing and write nothing; an edit re-embeds each column's pieces in its
// own table and leaves the other's alone.
func TestChunkWriteBackTwoColumns(t *testing.T) {
	const ctxTokens = 64
	for _, db := range chunkWBDBs() {
		t.Run(db.name, func(t *testing.T) {
			d := db.open(t)
			type column struct {
				name, model, table string
				dims               int
				srv                *ollamatest.Server
				store              string
			}
			cols := []*column{
				{name: "emb_small", model: "small-embed", table: "docs_chunks", dims: 16},
				{name: "emb_large", model: "large-embed", table: "docs_emb_large_chunks", dims: 24},
			}
			for _, c := range cols {
				c.srv = server(t, ollamatest.Config{Models: []string{c.model}, ContextTokens: ctxTokens, Words: true, Dims: c.dims})
				c.store = filepath.Join(t.TempDir(), "s.db")
			}
			long1, long3 := longText(1, 8*ctxTokens), longText(3, 5*ctxTokens)
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (1, ?)", long1)
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (2, 'a short one')")
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (3, ?)", long3)
			embed := func(c *column) (result, map[string]any) {
				t.Helper()
				c.srv.Reset()
				r := run(t, "", "embed", "--source-db", d.source, "--sql", "SELECT id, body FROM "+d.prefix+"docs", "--text", "{{.body}}",
					"--write-back", d.prefix+"docs."+c.name, "--model", c.model, "--host", c.srv.URL(), "--db", c.store, "--json")
				if r.code != ExitOK {
					t.Fatalf("embed into %s: exit %d\n%s", c.name, r.code, r.err)
				}
				wb, _ := r.summary(t)["write_back"].(map[string]any)
				if wb == nil || wb["chunk_table"] != d.prefix+c.table {
					t.Fatalf("embed into %s: the report's chunk_table is not %s%s: %v", c.name, d.prefix, c.table, wb)
				}
				return r, wb
			}
			pieces := func(c *column) map[string][]wbPiece { return d.piecesOf(t, c.table, c.name) }
			rows := func(c *column) [][]float32 {
				return [][]float32{d.rowOf(t, 1, c.name), d.rowOf(t, 2, c.name), d.rowOf(t, 3, c.name)}
			}
			check := func(c *column) {
				t.Helper()
				ps := pieces(c)
				if _, has := ps["2"]; has || len(ps) != 2 {
					t.Fatalf("%s holds the pieces of %d records, want those of 1 and 3", c.table, len(ps))
				}
				for _, id := range []int{1, 3} {
					p := ps[fmt.Sprint(id)]
					if len(p[0].vec) != c.dims {
						t.Fatalf("%s holds %d-dimensional vectors, want %d (the model of %s)", c.table, len(p[0].vec), c.dims, c.name)
					}
					checkRecordVector(t, id, d.rowOf(t, id, c.name), p)
				}
				if v := d.rowOf(t, 2, c.name); len(v) != c.dims {
					t.Errorf("row 2 holds %v in %s", v, c.name)
				}
			}

			// The first column: its pieces go into docs_chunks.
			small, large := cols[0], cols[1]
			_, wb := embed(small)
			check(small)
			smallPieces, smallRows := pieces(small), rows(small)
			if num(wb, "pieces") != len(smallPieces["1"])+len(smallPieces["3"]) || num(wb, "chunked_records") != 2 || num(wb, "written") != 3 {
				t.Errorf("the first column's report: %v", wb)
			}

			// The second column: its pieces go into docs_emb_large_chunks;
			// the first column's pieces and rows stay as they were.
			r, wb := embed(large)
			check(large)
			largePieces, largeRows := pieces(large), rows(large)
			if num(wb, "pieces") != len(largePieces["1"])+len(largePieces["3"]) || num(wb, "chunked_records") != 2 || num(wb, "written") != 3 {
				t.Errorf("the second column's report: %v", wb)
			}
			if want := fmt.Sprintf("into %sdocs_emb_large_chunks", d.prefix); !strings.Contains(r.err, want) {
				t.Errorf("the report does not say %q:\n%s", want, r.err)
			}
			unchanged := func(when string) {
				t.Helper()
				for _, c := range []struct {
					col    *column
					pieces map[string][]wbPiece
					rows   [][]float32
				}{{small, smallPieces, smallRows}, {large, largePieces, largeRows}} {
					if !piecesEqual(pieces(c.col), c.pieces) {
						t.Errorf("%s: %s changed", when, c.col.table)
					}
					for i, v := range rows(c.col) {
						if !slices.Equal(v, c.rows[i]) {
							t.Errorf("%s: row %d of %s changed", when, i+1, c.col.name)
						}
					}
				}
			}
			unchanged("after the second column")

			// Re-runs of each: no request, nothing written.
			for _, c := range cols {
				_, wb := embed(c)
				if c.srv.Requests() != 0 || num(wb, "written") != 0 || num(wb, "pieces") != 0 {
					t.Errorf("re-run of %s: %d requests: %v", c.name, c.srv.Requests(), wb)
				}
				unchanged("re-run of " + c.name)
			}

			// An edit near the end of record 1: the second column re-embeds
			// its own pieces only; then the first column its own.
			d.exec(t, "UPDATE "+d.prefix+"docs SET body = ? WHERE id = 1", long1+" The end changed.")
			_, wb = embed(large)
			if in := large.srv.Stats().Inputs; in < 1 || in > 2 || num(wb, "pieces") != in || num(wb, "written") != 1 {
				t.Errorf("edit, second column: %d texts sent: %v", in, wb)
			}
			check(large)
			if !piecesEqual(pieces(small), smallPieces) || !slices.Equal(d.rowOf(t, 1, small.name), smallRows[0]) {
				t.Error("embedding the second column changed the first column's pieces or row")
			}
			largePieces, largeRows = pieces(large), rows(large)
			_, wb = embed(small)
			if in := small.srv.Stats().Inputs; in < 1 || in > 2 || num(wb, "pieces") != in || num(wb, "written") != 1 {
				t.Errorf("edit, first column: %d texts sent: %v", in, wb)
			}
			check(small)
			if !piecesEqual(pieces(large), largePieces) || !slices.Equal(d.rowOf(t, 1, large.name), largeRows[0]) {
				t.Error("embedding the first column changed the second column's pieces or row")
			}

			// The second column without pieces: its own pieces go, the
			// first column's stay.
			smallPieces, smallRows = pieces(small), rows(small)
			r = run(t, "", "embed", "--source-db", d.source, "--sql", "SELECT id, body FROM "+d.prefix+"docs", "--text", "{{.body}}",
				"--write-back", d.prefix+"docs."+large.name, "--model", large.model, "--host", large.srv.URL(), "--db", large.store, "--chunk", "off")
			if r.code != ExitOK {
				t.Fatalf("embed into %s with --chunk off: exit %d\n%s", large.name, r.code, r.err)
			}
			if left := pieces(large); len(left) != 0 {
				t.Errorf("with --chunk off, %s still holds the pieces of %d records", large.table, len(left))
			}
			if !piecesEqual(pieces(small), smallPieces) || !slices.Equal(d.rowOf(t, 1, small.name), smallRows[0]) {
				t.Error("embedding the second column with --chunk off changed the first column's pieces or row")
			}
		})
	}
}

// TestChunkWriteBackColumnTableForeign: a docs_<column>_chunks that salvo
// did not create is refused before any request, as docs_chunks is.
func TestChunkWriteBackColumnTableForeign(t *testing.T) {
	for _, db := range chunkWBDBs()[:2] {
		t.Run(db.name, func(t *testing.T) {
			d := db.open(t)
			s := server(t, ollamatest.Config{ContextTokens: 64, Words: true, Dims: 16})
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (1, ?)", longText(1, 4*64))
			args := func(col string) []string {
				return []string{"embed", "--source-db", d.source, "--sql", "SELECT id, body FROM " + d.prefix + "docs", "--text", "{{.body}}",
					"--write-back", d.prefix + "docs." + col, "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "s.db")}
			}
			if r := run(t, "", args("embedding")...); r.code != ExitOK {
				t.Fatalf("embed: exit %d\n%s", r.code, r.err)
			}
			d.exec(t, "CREATE TABLE "+d.prefix+"docs_other_chunks (id integer, chunk integer, note text)")
			s.Reset()
			r := run(t, "", args("other")...)
			if r.code == ExitOK || s.Requests() != 0 || !strings.Contains(r.err, "docs_other_chunks") || !strings.Contains(r.err, "is not a table of pieces") {
				t.Fatalf("a foreign docs_other_chunks: exit %d, %d requests:\n%s", r.code, s.Requests(), r.err)
			}
		})
	}
}

// TestChunkWriteBackLongName: on PostgreSQL, which keeps 63 bytes of a
// name, a table of pieces whose name is longer is refused before any
// request, saying so, rather than cut short into another's name.
func TestChunkWriteBackLongName(t *testing.T) {
	d := chunkWBDBs()[1].open(t)
	s := server(t, ollamatest.Config{ContextTokens: 64, Words: true, Dims: 16})
	d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (1, ?)", longText(1, 4*64))
	args := func(col string) []string {
		return []string{"embed", "--source-db", d.source, "--sql", "SELECT id, body FROM " + d.prefix + "docs", "--text", "{{.body}}",
			"--write-back", d.prefix + "docs." + col, "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "s.db")}
	}
	if r := run(t, "", args("embedding")...); r.code != ExitOK {
		t.Fatalf("embed: exit %d\n%s", r.code, r.err)
	}
	long := "emb_" + strings.Repeat("x", 52) // 56 bytes; docs_…_chunks is 68
	s.Reset()
	r := run(t, "", args(long)...)
	if r.code == ExitOK || s.Requests() != 0 || !strings.Contains(r.err, "docs_"+long+"_chunks") || !strings.Contains(r.err, "63 bytes") {
		t.Fatalf("a table of pieces of 68 bytes: exit %d, %d requests:\n%s", r.code, s.Requests(), r.err)
	}
}
