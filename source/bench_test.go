package source

import (
	"bytes"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

// genReader produces a JSON array or JSONL of n movie records on the fly,
// without holding the whole input in memory.
type genReader struct {
	n, i  int
	array bool
	buf   []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n {
		switch {
		case g.i == 0 && g.array:
			g.buf = append(g.buf, "[\n"...)
		case g.i == g.n:
			if g.array {
				g.buf = append(g.buf, "]\n"...)
			}
		default:
			if g.i > 1 && g.array {
				g.buf = append(g.buf, ",\n"...)
			}
			g.buf = append(g.buf, `{"id":`...)
			g.buf = strconv.AppendInt(g.buf, int64(g.i), 10)
			g.buf = append(g.buf, `,"title":"Movie","year":2010,"rating":6.10,"genres":["Action","Drama"],"summary":"`...)
			g.buf = append(g.buf, strings.Repeat("words ", 40)...)
			g.buf = append(g.buf, "\"}"...)
			if !g.array {
				g.buf = append(g.buf, '\n')
			}
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// The newline bookkeeping of the JSON reader stays small however long the
// file is.
func TestJSONMemoryBounded(t *testing.T) {
	const n = 10000
	r, err := Open("-", Options{Format: "json", Stdin: &genReader{n: n + 1, array: true}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		rec, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if rec.Line != i+1 || rec.ID != strconv.Itoa(i) {
			t.Fatalf("record %d: line %d id %s", i, rec.Line, rec.ID)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last record: %v", err)
	}
	if c := cap(r.f.(*jsonReader).lc.nl); c > 4096 {
		t.Errorf("newline queue grew to %d entries", c)
	}
}

func benchmarkRead(b *testing.B, format string, array bool) {
	const n = 10000
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open("-", Options{Format: format, Stdin: &genReader{n: n + 1, array: array}})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}

func BenchmarkReadJSONL_10000(b *testing.B) { benchmarkRead(b, "jsonl", false) }
func BenchmarkReadJSON_10000(b *testing.B)  { benchmarkRead(b, "json", true) }

// moviesJSONL holds n YTS-shaped records of about 2 KB each, as salvo
// embed reads them.
func moviesJSONL(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	if err := moviegen.Generate(3, n, &buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkJSONL reads movie records whole, and with the fields of the
// template {{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}.
func BenchmarkJSONL(b *testing.B) {
	const n = 2000
	benchmarkFields(b, "jsonl", moviesJSONL(b, n), n)
}

// BenchmarkJSON is BenchmarkJSONL with the records in one JSON array.
func BenchmarkJSON(b *testing.B) {
	const n = 2000
	lines := bytes.Split(bytes.TrimSpace(moviesJSONL(b, n)), []byte("\n"))
	data := append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]\n"...)
	benchmarkFields(b, "json", data, n)
}

func benchmarkFields(b *testing.B, format string, data []byte, n int) {
	for _, bc := range []struct {
		name   string
		fields []string
		raw    bool // NextRaw: the fields' texts, no map
	}{
		{"all", nil, false},
		{"fields", []string{"genres", "summary", "title", "year"}, false},
		{"raw", []string{"genres", "summary", "title", "year"}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for b.Loop() {
				r, err := Open("-", Options{Format: format, Fields: bc.fields, Stdin: bytes.NewReader(data)})
				if err != nil {
					b.Fatal(err)
				}
				next := func() error { _, err := r.Next(); return err }
				if bc.raw {
					next = func() error { _, err := r.NextRaw(); return err }
				}
				for {
					if err := next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
			runtime.ReadMemStats(&ms1)
			records := float64(b.N * n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/records, "allocs/record")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/records, "B/record")
		})
	}
}
