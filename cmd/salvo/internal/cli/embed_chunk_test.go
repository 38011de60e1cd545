package cli

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo/internal/base/f32le"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// wbPiece is a row of <table>_chunks.
type wbPiece struct {
	chunk, start, end int
	vec               []float32
}

// chunkWBDB is a database of the write-back tests of long records: a
// table docs (id integer, body text) in it, and readers of its rows'
// vectors and of docs_chunks.
type chunkWBDB struct {
	name, source, prefix string
	created              string // the type of the column the write-back creates
	exec                 func(t *testing.T, q string, args ...any)
	scan                 func(t *testing.T, q string, dest ...any) // one row
	// piecesOf reads table (unqualified) with vector column col;
	// rowOf row id's vector in column col of docs.
	piecesOf func(t *testing.T, table, col string) map[string][]wbPiece
	rowOf    func(t *testing.T, id int, col string) []float32
}

// pieces reads docs_chunks, with vector column embedding.
func (d chunkWBDB) pieces(t *testing.T) map[string][]wbPiece {
	t.Helper()
	return d.piecesOf(t, "docs_chunks", "embedding")
}

// row reads row id's vector in column embedding.
func (d chunkWBDB) row(t *testing.T, id int) []float32 {
	t.Helper()
	return d.rowOf(t, id, "embedding")
}

type chunkWBOpener struct {
	name string
	open func(*testing.T) chunkWBDB
}

func chunkWBDBs() []chunkWBOpener {
	sqlite := func(t *testing.T) chunkWBDB {
		path := filepath.Join(t.TempDir(), "docs.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		d := chunkWBDB{name: "SQLite", source: path, created: "BLOB",
			exec: func(t *testing.T, q string, args ...any) {
				t.Helper()
				if _, err := db.Exec(q, args...); err != nil {
					t.Fatal(err)
				}
			},
			scan: func(t *testing.T, q string, dest ...any) {
				t.Helper()
				if err := db.QueryRow(q).Scan(dest...); err != nil {
					t.Fatal(err)
				}
			},
			piecesOf: func(t *testing.T, table, col string) map[string][]wbPiece {
				t.Helper()
				out := map[string][]wbPiece{}
				rows, err := db.Query(`SELECT id, chunk, start, "end", ` + col + ` FROM ` + table + ` ORDER BY id, chunk`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var (
						id string
						p  wbPiece
						b  []byte
					)
					if err := rows.Scan(&id, &p.chunk, &p.start, &p.end, &b); err != nil {
						t.Fatal(err)
					}
					p.vec = make([]float32, len(b)/4)
					f32le.Decode(p.vec, b)
					out[id] = append(out[id], p)
				}
				return out
			},
			rowOf: func(t *testing.T, id int, col string) []float32 {
				t.Helper()
				var b []byte
				if err := db.QueryRow("SELECT "+col+" FROM docs WHERE id = ?", id).Scan(&b); err != nil {
					t.Fatal(err)
				}
				if b == nil {
					return nil
				}
				v := make([]float32, len(b)/4)
				f32le.Decode(v, b)
				return v
			}}
		d.exec(t, "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)")
		return d
	}
	pg := func(get func(testing.TB) *pgtest.Server, created string) func(*testing.T) chunkWBDB {
		return func(t *testing.T) chunkWBDB {
			srv := get(t)
			schema := srv.NewSchema(t)
			ctx := context.Background()
			conn, err := srv.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close(ctx) })
			d := chunkWBDB{name: srv.Name, source: srv.URL, prefix: schema + ".", created: created,
				exec: func(t *testing.T, q string, args ...any) {
					t.Helper()
					if _, err := conn.Exec(ctx, strings.ReplaceAll(q, "?", "$1"), args...); err != nil {
						t.Fatal(err)
					}
				},
				scan: func(t *testing.T, q string, dest ...any) {
					t.Helper()
					if err := conn.QueryRow(ctx, q).Scan(dest...); err != nil {
						t.Fatal(err)
					}
				},
				piecesOf: func(t *testing.T, table, col string) map[string][]wbPiece {
					t.Helper()
					out := map[string][]wbPiece{}
					rows, err := conn.Query(ctx, `SELECT id::text, chunk, start, "end", `+col+`::real[] FROM `+schema+`.`+table+` ORDER BY id, chunk`)
					if err != nil {
						t.Fatal(err)
					}
					var (
						id string
						p  wbPiece
					)
					if _, err := pgx.ForEachRow(rows, []any{&id, &p.chunk, &p.start, &p.end, &p.vec}, func() error {
						out[id] = append(out[id], p)
						p.vec = nil
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					return out
				},
				rowOf: func(t *testing.T, id int, col string) []float32 {
					t.Helper()
					var v []float32
					if err := conn.QueryRow(ctx, "SELECT "+col+"::real[] FROM "+schema+".docs WHERE id = $1", id).Scan(&v); err != nil {
						t.Fatal(err)
					}
					return v
				}}
			d.exec(t, "CREATE TABLE "+schema+".docs (id integer PRIMARY KEY, body text)")
			return d
		}
	}
	return []chunkWBOpener{{"SQLite", sqlite}, {"PostgreSQL", pg(pgtest.PostgreSQL, "real[]")}, {"PGlite", pg(pgtest.PGlite, "vector(16)")}}
}

// longText is words of w%05d in sentences and paragraphs, n of them.
func longText(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	for w := range n {
		switch {
		case w == 0:
		case w%40 == 0:
			b.WriteString(".\n\n")
		case w%9 == 0:
			b.WriteString(". ")
		default:
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "w%05d", rng.IntN(20000))
	}
	return b.String() + "."
}

// meanOf is the vector that stands for a record of pieces ps: their mean
// weighted by length in bytes, at unit length.
func meanOf(ps []wbPiece) []float64 {
	sum := make([]float64, len(ps[0].vec))
	for _, p := range ps {
		for i, x := range p.vec {
			sum[i] += float64(p.end-p.start) * float64(x)
		}
	}
	var n float64
	for _, x := range sum {
		n += x * x
	}
	for i := range sum {
		sum[i] /= math.Sqrt(n)
	}
	return sum
}

// checkRecordVector fails unless row holds the mean of ps (and ps are
// pieces 0..n-1, n > 1, in order).
func checkRecordVector(t *testing.T, id int, row []float32, ps []wbPiece) {
	t.Helper()
	if len(ps) < 2 {
		t.Fatalf("record %d has %d pieces in docs_chunks, want several", id, len(ps))
	}
	for i, p := range ps {
		if p.chunk != i || p.end <= p.start || i > 0 && p.start >= ps[i-1].end {
			t.Fatalf("record %d: piece %d is %+v (after %+v)", id, i, p, ps[max(i-1, 0)])
		}
		if slices.Equal(p.vec, row) {
			t.Errorf("record %d's row holds piece %d's vector, not the record's", id, i)
		}
	}
	want := meanOf(ps)
	if len(row) != len(want) {
		t.Fatalf("record %d's row holds %d dimensions, want %d", id, len(row), len(want))
	}
	for i := range want {
		if math.Abs(float64(row[i])-want[i]) > 1e-5 {
			t.Fatalf("record %d's row is not the weighted mean of its pieces: [%d] %g, want %g", id, i, row[i], want[i])
		}
	}
}

// TestChunkWriteBack: with --write-back, the pieces of long records go
// into <table>_chunks and each row gets the mean of its pieces' vectors;
// a re-run writes nothing and sends no request; an edit near the end
// re-embeds only the pieces that changed; a record that got shorter loses
// the pieces it no longer has, all of them when it fits in one again.
func TestChunkWriteBack(t *testing.T) {
	const ctxTokens = 64
	for _, db := range chunkWBDBs() {
		t.Run(db.name, func(t *testing.T) {
			d := db.open(t)
			s := server(t, ollamatest.Config{ContextTokens: ctxTokens, Words: true, Dims: 16})
			long1, long3 := longText(1, 8*ctxTokens), longText(3, 5*ctxTokens)
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (1, ?)", long1)
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (2, 'a short one')")
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (3, ?)", long3)
			args := []string{"embed", "--source-db", d.source, "--sql", "SELECT id, body FROM " + d.prefix + "docs", "--text", "{{.body}}",
				"--write-back", d.prefix + "docs.embedding", "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "s.db"), "--json"}
			r := run(t, "", args...)
			if r.code != ExitOK {
				t.Fatalf("embed: exit %d\n%s", r.code, r.err)
			}
			m := r.summary(t)
			wb, _ := m["write_back"].(map[string]any)
			pieces := d.pieces(t)
			if _, has := pieces["2"]; has || len(pieces) != 2 {
				t.Fatalf("docs_chunks holds the pieces of %v, want 1 and 3", slices.Sorted(maps.Keys(pieces)))
			}
			if wb == nil || num(wb, "pieces") != len(pieces["1"])+len(pieces["3"]) || num(wb, "chunked_records") != 2 ||
				wb["chunk_table"] != d.prefix+"docs_chunks" || num(wb, "written") != 3 || wb["created_column"] != d.created || num(m, "truncated") != 0 {
				t.Errorf("report: %v", m)
			}
			if want := fmt.Sprintf("wrote %d pieces of 2 long records into %sdocs_chunks", len(pieces["1"])+len(pieces["3"]), d.prefix); !strings.Contains(r.err, want) {
				t.Errorf("the report does not say %q:\n%s", want, r.err)
			}
			checkRecordVector(t, 1, d.row(t, 1), pieces["1"])
			checkRecordVector(t, 3, d.row(t, 3), pieces["3"])
			if v := d.row(t, 2); len(v) != 16 {
				t.Errorf("row 2 holds %v", v)
			}

			// Nothing changed: no request, nothing written.
			s.Reset()
			rows := []([]float32){d.row(t, 1), d.row(t, 2), d.row(t, 3)}
			r = run(t, "", args...)
			m = r.summary(t)
			wb, _ = m["write_back"].(map[string]any)
			if r.code != ExitOK || s.Requests() != 0 || num(wb, "written") != 0 || num(wb, "pieces") != 0 {
				t.Errorf("re-run: exit %d, %d requests: %v\n%s", r.code, s.Requests(), m, r.err)
			}
			if again := d.pieces(t); !piecesEqual(again, pieces) {
				t.Error("the re-run changed docs_chunks")
			}
			for i, v := range rows {
				if !slices.Equal(d.row(t, i+1), v) {
					t.Errorf("the re-run changed row %d", i+1)
				}
			}

			// A row cleared: written again from the pieces, without a request.
			d.exec(t, "UPDATE "+d.prefix+"docs SET embedding = NULL WHERE id = 1")
			r = run(t, "", args...)
			m = r.summary(t)
			wb, _ = m["write_back"].(map[string]any)
			if r.code != ExitOK || s.Requests() != 0 || num(wb, "written") != 1 || num(wb, "pieces") != 0 || !slices.Equal(d.row(t, 1), rows[0]) {
				t.Errorf("after row 1 was cleared: exit %d, %d requests, row 1 %v: %v", r.code, s.Requests(), d.row(t, 1) != nil, m)
			}

			// An edit near the end of record 1: only its last pieces are embedded.
			d.exec(t, "UPDATE "+d.prefix+"docs SET body = ? WHERE id = 1", long1+" The end changed.")
			s.Reset()
			r = run(t, "", args...)
			m = r.summary(t)
			wb, _ = m["write_back"].(map[string]any)
			after := d.pieces(t)
			if in := s.Stats().Inputs; r.code != ExitOK || in < 1 || in > 2 || num(wb, "pieces") != in || num(wb, "chunked_records") != 1 || num(wb, "written") != 1 {
				t.Errorf("edit near the end of %d pieces: exit %d, %d texts sent: %v", len(pieces["1"]), r.code, in, m)
			}
			checkRecordVector(t, 1, d.row(t, 1), after["1"])
			if slices.Equal(d.row(t, 1), rows[0]) {
				t.Error("row 1 kept its vector after its text changed")
			}

			// Shorter: record 1 in fewer pieces, record 3 in one.
			d.exec(t, "UPDATE "+d.prefix+"docs SET body = ? WHERE id = 1", longText(1, 3*ctxTokens))
			d.exec(t, "UPDATE "+d.prefix+"docs SET body = 'short now' WHERE id = 3")
			if r = run(t, "", args...); r.code != ExitOK {
				t.Fatalf("after the records got shorter: exit %d\n%s", r.code, r.err)
			}
			after = d.pieces(t)
			if _, has := after["3"]; has || len(after["1"]) >= len(pieces["1"]) {
				t.Errorf("docs_chunks after the records got shorter: record 1 in %d pieces (was %d), record 3 in %d (want none)", len(after["1"]), len(pieces["1"]), len(after["3"]))
			}
			checkRecordVector(t, 1, d.row(t, 1), after["1"])
			if v := d.row(t, 3); len(v) != 16 || slices.Equal(v, rows[2]) {
				t.Errorf("row 3 holds %v after its text fit in one piece, was %v", v, rows[2])
			}
		})
	}
}

func piecesEqual(a, b map[string][]wbPiece) bool {
	return maps.EqualFunc(a, b, func(x, y []wbPiece) bool {
		return slices.EqualFunc(x, y, func(p, q wbPiece) bool {
			return p.chunk == q.chunk && p.start == q.start && p.end == q.end && slices.Equal(p.vec, q.vec)
		})
	})
}

// TestChunkWriteBackForeignTable: a <table>_chunks that salvo did not
// create is refused before any request, and left as it is.
func TestChunkWriteBackForeignTable(t *testing.T) {
	for _, db := range chunkWBDBs()[:2] {
		t.Run(db.name, func(t *testing.T) {
			d := db.open(t)
			s := server(t, ollamatest.Config{ContextTokens: 64, Words: true, Dims: 16})
			d.exec(t, "INSERT INTO "+d.prefix+"docs VALUES (1, 'one')")
			d.exec(t, "CREATE TABLE "+d.prefix+"docs_chunks (id integer, chunk integer, note text)")
			d.exec(t, "INSERT INTO "+d.prefix+"docs_chunks VALUES (1, 0, 'not salvo''s')")
			r := run(t, "", "embed", "--source-db", d.source, "--sql", "SELECT id, body FROM "+d.prefix+"docs", "--text", "{{.body}}",
				"--write-back", d.prefix+"docs.embedding", "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "s.db"))
			if r.code == ExitOK || s.Requests() != 0 || !strings.Contains(r.err, "docs_chunks") || !strings.Contains(r.err, "is not a table of pieces") ||
				!strings.Contains(r.err, "--chunk off") {
				t.Fatalf("%s: exit %d, %d requests:\n%s", d.name, r.code, s.Requests(), r.err)
			}
			if r := run(t, "", "embed", "--source-db", d.source, "--sql", "SELECT id, body FROM "+d.prefix+"docs", "--text", "{{.body}}",
				"--write-back", d.prefix+"docs.embedding", "--host", s.URL(), "--db", filepath.Join(t.TempDir(), "s.db"), "--chunk", "off"); r.code != ExitOK {
				t.Errorf("%s with --chunk off: exit %d\n%s", d.name, r.code, r.err)
			}
			var n int
			d.scan(t, "SELECT count(*) FROM "+d.prefix+"docs_chunks", &n)
			if n != 1 {
				t.Errorf("%s with --chunk off: docs_chunks, which salvo did not create, holds %d rows, had 1", d.name, n)
			}
		})
	}
}

func TestChunkFlag(t *testing.T) {
	var c chunkFlag
	for in, want := range map[string]string{"auto": "auto", "OFF": "off", "256": "256"} {
		if err := c.Set(in); err != nil || c.String() != want {
			t.Errorf("--chunk %s: %v, %q", in, err, c.String())
		}
	}
	for _, bad := range []string{"0", "-3", "lots", ""} {
		if err := c.Set(bad); err == nil {
			t.Errorf("--chunk %q accepted", bad)
		}
	}
}
