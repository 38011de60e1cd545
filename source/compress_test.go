package source

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/salvoembed/salvo"
)

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func outcomes(t *testing.T, path string, opts Options) []string {
	t.Helper()
	r, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer r.Close()
	got, _ := readAll(t, r)
	for i, g := range got { // compare without the folder and suffix
		got[i] = strings.ReplaceAll(g, filepath.Dir(path)+string(filepath.Separator), "")
	}
	return got
}

// Every format reads the same from a plain, a gzip and a zstd file, with
// the same line numbers: those of the decompressed text.
func TestCompressedFormats(t *testing.T) {
	plain := map[string]string{
		"jsonl": "{\"id\":1,\"t\":\"a\"}\n\n{\"id\":2,\"t\":\"b\"}\n{broken\n{\"id\":4}\n",
		"json":  "[\n {\"id\":1},\n {\"id\":2,\n  \"t\":\"x\"},\n {\"id\":3}\n]\n",
		"csv":   "id,t\n1,a\n2,\"multi\nline\"\n3,c\n",
		"tsv":   "id\tt\n1\ta\n2\tb\tc\n3\tc\n",
	}
	for format, text := range plain {
		want := outcomes(t, writeTemp(t, "x."+format, []byte(text)), Options{})
		if len(want) < 3 {
			t.Fatalf("%s: %v: the test input should hold records", format, want)
		}
		for suffix, data := range map[string][]byte{".gz": gzipBytes(t, []byte(text)), ".zst": zstdBytes(t, []byte(text))} {
			got := outcomes(t, writeTemp(t, "x."+format+suffix, data), Options{})
			for i := range got {
				got[i] = strings.Replace(got[i], "x."+format+suffix, "x."+format, 1)
			}
			checkOutcomes(t, got, want)
			n, err := Count(writeTemp(t, "c."+format+suffix, data), Options{})
			m, _ := Count(writeTemp(t, "c."+format, []byte(text)), Options{})
			if err != nil || n != m {
				t.Errorf("Count(%s%s) = %d, %v; the plain file counts %d", format, suffix, n, err, m)
			}
		}
	}
}

// Standard input compressed with gzip or zstd is recognised by its magic
// number.
func TestCompressedStdin(t *testing.T) {
	text := []byte("{\"id\":\"a\"}\n{\"id\":\"b\"}\n")
	for _, data := range [][]byte{gzipBytes(t, text), zstdBytes(t, text)} {
		r, err := Open("-", Options{Format: "jsonl", Stdin: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, r)
		checkOutcomes(t, got, []string{"-:1 id=a", "-:2 id=b"})
	}
}

// A truncated .gz gives every complete record before the cut, then one
// error at the line where the data ends, naming the file; nothing after.
func TestTruncatedCompressedFile(t *testing.T) {
	var text strings.Builder
	const records = 20000 // several zstd blocks: a cut one still leaves whole blocks before it
	for i := range records {
		text.WriteString(`{"id":` + strings.Repeat("1", 1+i%7) + `,"n":"` + strings.Repeat("x", i%50) + "\"}\n")
	}
	for suffix, data := range map[string][]byte{".gz": gzipBytes(t, []byte(text.String())), ".zst": zstdBytes(t, []byte(text.String()))} {
		cut := data[:len(data)*2/3]
		path := writeTemp(t, "cut.jsonl"+suffix, cut)
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n, last := 0, 0
		var le *salvo.RecordError
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.As(err, &le) || le != nil && n == 0 {
					t.Fatalf("%s: error %v after %d records, want a *salvo.RecordError after some records", suffix, err, n)
				}
				continue
			}
			if le != nil {
				t.Fatalf("%s: a record after the error", suffix)
			}
			n++
			last = rec.Line
		}
		r.Close()
		if le == nil {
			t.Fatalf("%s: no error for a truncated file (%d records)", suffix, n)
		}
		if le.File != path || le.Line != last+1 || !strings.Contains(le.Error(), "truncated") {
			t.Errorf("%s: error %q at line %d after the last record at line %d: want the next line, the file name and \"truncated\"", suffix, le, le.Line, last)
		}
		if n == 0 || n >= records {
			t.Errorf("%s: %d records before the cut", suffix, n)
		}
	}
}

func TestNotReallyCompressed(t *testing.T) {
	for _, name := range []string{"a.jsonl.gz", "a.csv.zst"} {
		_, err := Open(writeTemp(t, name, []byte("{\"id\":1}\n")), Options{})
		if err == nil || !strings.Contains(err.Error(), "not ") || !strings.Contains(err.Error(), name) {
			t.Errorf("Open(%s) of plain text: %v, want an error naming the file", name, err)
		}
	}
}

// A FIFO (a named pipe, like <(zcat …)) is not read by Count: its data is
// for the reader, which gets every record.
func TestCountLeavesPipesAlone(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "in.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	const n = 5000
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		for i := range n {
			io.WriteString(w, `{"id":`+strings.Repeat("7", 1+i%3)+`}`+"\n")
		}
	}()
	if c, err := Count(fifo, Options{}); c != -1 || err != nil {
		t.Fatalf("Count(FIFO) = %d, %v; want -1 (unknown) without reading", c, err)
	}
	r, err := Open(fifo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != n {
		t.Errorf("read %d records from the FIFO, want %d", got, n)
	}
}

// FuzzCompressed reads gzip and zstd data cut anywhere: no panic, records
// in line order, and at most one error, after which nothing comes.
func FuzzCompressed(f *testing.F) {
	f.Add([]byte("{\"id\":1}\n{\"id\":2}\n"), uint16(10), false)
	f.Add([]byte("id,t\n1,\"a\nb\"\n"), uint16(3), true)
	f.Fuzz(func(t *testing.T, text []byte, cut uint16, useZstd bool) {
		data := gzipBytes(t, text)
		if useZstd {
			data = zstdBytes(t, text)
		}
		if int(cut) < len(data) {
			data = data[:cut]
		}
		for _, format := range []string{"jsonl", "csv", "json", "tsv"} {
			r, err := Open("-", Options{Format: format, Stdin: bytes.NewReader(data)})
			if err != nil {
				continue
			}
			last, errs := 0, 0
			for i := 0; ; i++ {
				if i > len(text)+3 {
					t.Fatalf("%s: the reader does not end", format)
				}
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				var le *salvo.RecordError
				if err != nil {
					if !errors.As(err, &le) {
						t.Fatalf("%s: %v is not a *salvo.RecordError", format, err)
					}
					if le.Line < 1 {
						t.Fatalf("%s: error at line %d", format, le.Line)
					}
					errs++
					continue
				}
				if rec.Line < last {
					t.Fatalf("%s: record at line %d after line %d", format, rec.Line, last)
				}
				last = rec.Line
			}
			r.Close()
		}
	})
}
