package source

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

// countLinesByByte is the plain definition countLines keeps to: lines
// holding a byte other than space, tab, CR.
func countLinesByByte(b []byte) int {
	n, full := 0, false
	for _, c := range b {
		switch c {
		case '\n':
			if full {
				n++
			}
			full = false
		case ' ', '\t', '\r':
		default:
			full = true
		}
	}
	if full {
		n++
	}
	return n
}

// splitReader hands out at most size bytes per Read, so lines straddle
// reads at every place.
type splitReader struct {
	b    []byte
	size int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func checkCountLines(t *testing.T, data []byte) {
	t.Helper()
	want := countLinesByByte(data)
	readers := map[string]io.Reader{
		"whole":    bytes.NewReader(data),
		"one":      iotest.OneByteReader(bytes.NewReader(data)),
		"3":        &splitReader{data, 3},
		"7":        &splitReader{data, 7},
		"datagEOF": iotest.DataErrReader(bytes.NewReader(data)),
	}
	for name, r := range readers {
		if got, err := countLines(r); err != nil || got != want {
			t.Fatalf("countLines(%q) by %s reads = %d, %v; want %d", data, name, got, err, want)
		}
	}
}

func TestCountLines(t *testing.T) {
	for _, s := range []string{
		"", "\n", " \t\r\n", "a", "a\n", "a\nb", "a\n\nb\n", "  \n{}\n \r\n\t{\"a\":1}  \r\n",
		"x\r", "\r\n\r\n", "   x   \n   \n  y",
		strings.Repeat(`{"id":1,"title":"t"}`+"\n", 10000), // longer than a read
		strings.Repeat(" ", 70000) + "x" + strings.Repeat(" ", 70000) + "\n\n",
	} {
		checkCountLines(t, []byte(s))
	}
}

func FuzzCountLines(f *testing.F) {
	for _, s := range []string{"", "a\n\nb", " \t\r\n x\n", "{}\r\n{}\r\n", "\n\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkCountLines)
}

// BenchmarkCountLines counts the lines of 10,000 records of JSONL (about 2 kB
// each, as generated movies are), as the progress total does.
func BenchmarkCountLines(b *testing.B) {
	var buf bytes.Buffer
	if err := moviegen.Generate(7, 10000, &buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := countLines(bytes.NewReader(data)); err != nil || n != 10000 {
			b.Fatalf("%d lines, %v", n, err)
		}
	}
}
