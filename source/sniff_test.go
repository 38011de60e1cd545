package source

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// sniffCases are inputs whose format neither a name nor --format gives,
// with the format their content shows and the records read.
var sniffCases = []struct {
	name, input, records, want string
	ids                        []string
}{
	{"jsonl", "{\"id\":1}\n{\"id\":2}\n", "", FormatJSONL, []string{"1", "2"}},
	{"jsonl after blank lines", "\n \r\n{\"id\":\"a\",\"t\":\"{x\\\"\"}  \r\n{\"id\":\"b\"}", "", FormatJSONL, []string{"a", "b"}},
	{"jsonl of one record", `{"id":3,"o":{"a":[1,{}]}}`, "", FormatJSONL, []string{"3"}},
	{"json array", "[{\"id\":1},\n{\"id\":2}]", "", FormatJSON, []string{"1", "2"}},
	{"json array after blanks", "\n\n  [\n{\"id\":1}]", "", FormatJSON, []string{"1"}},
	{"json object over lines", "{\n \"data\": [{\"id\":1}]\n}\n", "data", FormatJSON, []string{"1"}},
	{"minified json with a records path", `{"data":[{"id":1},{"id":2}]}`, "data", FormatJSON, []string{"1", "2"}},
	{"object then more on its line", `{"a":1} {"b":2}`, "", FormatJSON, nil},
	{"csv", "id,title\n1,Heat\n", "", FormatCSV, []string{"1"}},
	{"csv with a quoted comma", "\"id\",\"a,b\"\n1,x\n", "", FormatCSV, []string{"1"}},
	{"csv of one column", "id\n5\n", "", FormatCSV, []string{"5"}},
	{"tsv", "id\ttitle\tyear\n1\tHeat, again\t1995\n", "", FormatTSV, []string{"1"}},
	{"tsv with a comma in a name", "id\tname, first\tyear\n1\tx\t2\n", "", FormatTSV, []string{"1"}},
	{"empty", "", "", FormatJSONL, nil},
	{"blank", " \n\n", "", FormatJSONL, nil},
}

func TestSniffFormat(t *testing.T) {
	for _, tc := range sniffCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"-", "catalog", "catalog.txt"} {
				var r *Reader
				var err error
				if name == "-" {
					r, err = Open(name, Options{RecordsPath: tc.records, Stdin: strings.NewReader(tc.input)})
				} else {
					dir := t.TempDir()
					inDir(t, map[string]string{name: tc.input})
					_ = dir
					r, err = Open(name, Options{RecordsPath: tc.records})
				}
				if tc.ids == nil && tc.want == FormatJSON {
					if err == nil {
						t.Fatalf("%s: Open succeeded as %s, want a JSON error", name, r.Format())
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := r.Format(); got != tc.want {
					t.Errorf("%s: read as %s, want %s", name, got, tc.want)
				}
				var ids []string
				for {
					rec, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					ids = append(ids, rec.ID)
				}
				r.Close()
				if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
					t.Errorf("%s: IDs %q, want %q", name, ids, tc.ids)
				}
			}
		})
	}
}

// A first line longer than the read buffer is looked at whole, and its
// bytes are read as records afterwards.
func TestSniffLongFirstLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	for _, tc := range []struct{ input, want string }{
		{`{"id":1,"t":"` + long + "\"}\n{\"id\":2}\n", FormatJSONL},
		{"[{\"id\":1,\"t\":\"" + long + "\"},{\"id\":2}]", FormatJSON},
		{"id,\"" + long + "\"\n", FormatCSV},
	} {
		r, err := Open("-", Options{Stdin: strings.NewReader(tc.input)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Format() != tc.want {
			t.Errorf("read as %s, want %s", r.Format(), tc.want)
		}
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != FormatCSV && rec.ID != []string{"1", "2"}[n] {
				t.Errorf("record %d has ID %q", n, rec.ID)
			}
			n++
		}
		if want := map[string]int{FormatJSONL: 2, FormatJSON: 2, FormatCSV: 0}[tc.want]; n != want {
			t.Errorf("%s: %d records, want %d", tc.want, n, want)
		}
	}
}

// Compressed data is looked at after decompression, and the progress count
// tells the format the same way.
func TestSniffCompressed(t *testing.T) {
	const jsonl = "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(jsonl))
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write([]byte("id\tt\n1\ta\n2\tb\n"))
	zw.Close()
	inDir(t, map[string]string{"movies.gz": gz.String(), "movies": zs.String()})
	for _, tc := range []struct {
		file, want string
		n          int
	}{{"movies.gz", FormatJSONL, 3}, {"movies", FormatTSV, 2}} {
		r, err := Open(tc.file, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Format() != tc.want {
			t.Errorf("%s: read as %s, want %s", tc.file, r.Format(), tc.want)
		}
		r.Close()
		if n, err := Count(tc.file, Options{}); err != nil || n != tc.n {
			t.Errorf("Count(%s) = %d, %v; want %d", tc.file, n, err, tc.n)
		}
	}
	r, err := Open("-", Options{Stdin: bytes.NewReader(gz.Bytes())})
	if err != nil || r.Format() != FormatJSONL {
		t.Fatalf("gzip on standard input: %v", err)
	}
}

// --format wins over the content.
func TestSniffFormatWins(t *testing.T) {
	r, err := Open("-", Options{Format: "csv", Stdin: strings.NewReader("{a:1}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatCSV {
		t.Errorf("read as %s, want csv", r.Format())
	}
}

// Data that is not text is refused with the line and byte, and what to do.
func TestSniffNotText(t *testing.T) {
	_, err := Open("-", Options{Stdin: strings.NewReader("\n\nPK\x03\x04rest")})
	var nt *NotTextError
	if !errors.As(err, &nt) || !IsInputError(err) {
		t.Fatalf("error %v, want a *NotTextError inside an *InputError", err)
	}
	const want = "standard input: cannot tell the format: line 3 holds the byte 0x03, which text does not; salvo reads JSONL, JSON, CSV and TSV (also gzip or zstd compressed)"
	if err.Error() != want || nt.File != "-" || nt.Line != 3 || nt.Byte != 0x03 {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

// slowReader gives one byte per Read, as a slow pipe may.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(1, len(p))]) }

// FuzzSniff: any data, fed whole or a byte at a time, is told the same
// format; sniffing reads no further than it must and gives every byte
// back; a format told from a prefix holds whatever follows.
func FuzzSniff(f *testing.F) {
	for _, tc := range sniffCases {
		f.Add(tc.input, tc.records)
	}
	f.Add("{\"a\":\"}\\\"{\"}\n", "")
	f.Add("{\n", "")
	f.Add("\"a\tb\",c\n", "")
	f.Add("a\x00b\n", "")
	f.Add("}]{\n", "")
	f.Fuzz(func(t *testing.T, input, records string) {
		type outcome struct {
			form string
			err  bool
			rest string
		}
		read := func(r io.Reader) outcome {
			br := bufioReader(r)
			form, br2, err := sniff("-", br, records)
			rest, _ := io.ReadAll(br2)
			return outcome{form, err != nil, string(rest)}
		}
		whole := read(strings.NewReader(input))
		slow := read(slowReader{strings.NewReader(input)})
		if whole != slow {
			t.Fatalf("whole: %+v\nslow: %+v", whole, slow)
		}
		if whole.rest != input {
			t.Fatalf("sniffing lost bytes: %q left of %q", whole.rest, input)
		}
		if whole.err {
			return
		}
		switch whole.form {
		case FormatJSONL, FormatJSON, FormatCSV, FormatTSV:
		default:
			t.Fatalf("format %q", whole.form)
		}
		// What decided the format is a prefix: more data after a line
		// end does not change it.
		if nl := strings.IndexByte(input, '\n'); nl >= 0 && strings.TrimLeft(input[:nl], " \t\r") != "" {
			more := read(strings.NewReader(input + "\n{\"x\":1}\nz,y\n"))
			if more.form != whole.form || more.err {
				t.Fatalf("%q is %s, but %s with more lines after it", input, whole.form, more.form)
			}
		}
	})
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }
