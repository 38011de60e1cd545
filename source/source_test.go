package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// readAll reads every record of r and describes each outcome on one line:
// "<file:line> id=<ID>" for a record, "err <message>" for an error.
func readAll(t *testing.T, r *Reader) ([]string, []map[string]any) {
	t.Helper()
	var out []string
	var fields []map[string]any
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("reader does not end")
		}
		rec, err := r.Next()
		if err == io.EOF {
			return out, fields
		}
		if err != nil {
			var le *salvo.RecordError
			if !errors.As(err, &le) {
				t.Fatalf("fatal error from Next: %v", err)
			}
			if le.Line < 1 {
				t.Errorf("salvo.RecordError with line %d: %v", le.Line, err)
			}
			out = append(out, "err "+err.Error())
			continue
		}
		if rec.Line < 1 {
			t.Errorf("record with line %d", rec.Line)
		}
		out = append(out, fmt.Sprintf("%s id=%s", rec.Where(), rec.ID))
		fields = append(fields, rec.Fields)
	}
}

// checkOutcomes compares readAll's lines: records exactly, errors by prefix.
func checkOutcomes(t *testing.T, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		if strings.HasPrefix(want[i], "err ") {
			ok = strings.HasPrefix(got[i], want[i])
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// inDir runs the test in a fresh directory so file names stay short.
func inDir(t *testing.T, files map[string]string) {
	t.Chdir(t.TempDir())
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type readCase struct {
	name    string
	file    string // file name, which picks the format
	content string
	opts    Options
	want    []string
	fields  []map[string]any // checked when not nil
}

func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inDir(t, map[string]string{tc.file: tc.content})
			r, err := Open(tc.file, tc.opts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			got, fields := readAll(t, r)
			checkOutcomes(t, got, tc.want)
			if tc.fields != nil && !reflect.DeepEqual(fields, tc.fields) {
				t.Errorf("fields:\n got %#v\nwant %#v", fields, tc.fields)
			}
			open := func(o Options) (*Reader, error) { return Open(tc.file, o) }
			checkFieldsAgree(t, open, tc.opts, got, fields)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	inDir(t, map[string]string{
		"movies.db":   "SQLite format 3\x00\x10\x00",
		"obj.json":    `{"status":"ok","data":{"movie_count":2,"movies":[{"id":1}]},"@meta":{"x":[1]}}`,
		"plain.json":  `{"a":1,"b":{"c":"d"}}`,
		"array.json":  `[{"id":1}]`,
		"string.json": `"hello"`,
		"empty.json":  ``,
		"broken.json": "{\n\"data\": {\"a\" 1}}",
		"yts.json":    `{"status":"ok","data":{"movie_count":2,"limit":20,"movies":{"a":1}}}`,
		"movies.csv":  "id,title\n1,x\n",
		"badhead.csv": "id,\"ti\"tle\n1,x\n",
	})
	cases := []struct {
		name string
		file string
		opts Options
		want []string // substrings of the error
	}{
		{"not text", "movies.db", Options{}, []string{"movies.db: cannot tell the format: line 1 holds the byte 0x00", "salvo reads JSONL, JSON, CSV and TSV"}},
		{"unknown format", "movies.txt", Options{Format: "xml"}, []string{`"xml"`, "jsonl, json, csv or tsv"}},
		{"missing file", "nope.jsonl", Options{}, []string{"nope.jsonl", "no such file"}},
		{"object without path", "obj.json", Options{}, []string{"obj.json", "holds a JSON object, not an array of records", "arrays in the file: data.movies, @meta.x"}},
		{"object without arrays", "plain.json", Options{}, []string{"plain.json", "no array of records"}},
		{"missing path", "obj.json", Options{RecordsPath: "data.films"}, []string{`"data.films"`, `"data" has no key "films"`, "its keys: movie_count, movies"}},
		{"missing top key", "obj.json", Options{RecordsPath: "results"}, []string{`top-level object has no key "results"`, "@meta, data, status"}},
		{"path to non-array", "yts.json", Options{RecordsPath: "data.movies"}, []string{`"data.movies" leads to an object, not an array`}},
		{"path through scalar", "obj.json", Options{RecordsPath: "status.movies"}, []string{`"status" is a string, not an object`}},
		{"path on array", "array.json", Options{RecordsPath: "data"}, []string{"array.json: the file is an array, so it has no records path \"data\""}},
		{"scalar document", "string.json", Options{}, []string{"holds a string, not an array"}},
		{"empty json", "empty.json", Options{}, []string{"empty.json", "empty"}},
		{"broken while searching", "broken.json", Options{RecordsPath: "data.movies"}, []string{"broken.json:2: invalid JSON"}},
		{"path on csv", "movies.csv", Options{RecordsPath: "data"}, []string{"only to JSON"}},
		{"bad csv header", "badhead.csv", Options{}, []string{"badhead.csv:1: reading the header row: bad CSV quoting"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(tc.file, tc.opts)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestFormatByExtension(t *testing.T) {
	cases := []struct{ name, format, want string }{
		{"a.jsonl", "", FormatJSONL},
		{"A.NDJSON", "", FormatJSONL},
		{"dir.v2/a.Json", "", FormatJSON},
		{"a.CSV", "", FormatCSV},
		{"a.tsv", "", FormatTSV},
		{"a.txt", "CSV", FormatCSV},
		{"a.txt", "", ""},      // by content
		{"/dev/fd/63", "", ""}, // by content
		{"-", "", ""},          // by content
		{"-", "ndjson", FormatJSONL},
	}
	for _, tc := range cases {
		got, err := formatOf(tc.name, tc.format)
		if err != nil || got != tc.want {
			t.Errorf("formatOf(%q, %q) = %q, %v; want %q", tc.name, tc.format, got, err, tc.want)
		}
	}
}

func TestStdin(t *testing.T) {
	cases := []struct {
		format, input string
		want          []string
	}{
		{"jsonl", "{\"id\":7}\n\n{}\n", []string{"-:1 id=7", "-:3 id=-:3"}},
		{"json", "[\n{\"id\":\"a\"},\n{}]", []string{"-:2 id=a", "-:3 id=-:3"}},
		{"csv", "id,t\n1,x\n", []string{"-:2 id=1"}},
		{"tsv", "id\tt\n1\tx\n", []string{"-:2 id=1"}},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			r, err := Open("-", Options{Format: tc.format, Stdin: strings.NewReader(tc.input)})
			if err != nil {
				t.Fatal(err)
			}
			got, fields := readAll(t, r)
			checkOutcomes(t, got, tc.want)
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			checkFieldsAgree(t, stdinOpener(tc.format, tc.input), Options{}, got, fields)
		})
	}
}

func TestIDs(t *testing.T) {
	input := `{"id": 42}
{"id": "tt0111161"}
{"id": null}
{"id": ""}
{"id": true}
{"id": [1, 2]}
{"id": 1.50}
{"imdb": "tt1"}
`
	r, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(input)})
	if err != nil {
		t.Fatal(err)
	}
	got, fields := readAll(t, r)
	checkOutcomes(t, got, []string{"-:1 id=42", "-:2 id=tt0111161", "-:3 id=-:3", "-:4 id=-:4", "-:5 id=true", "-:6 id=[1,2]", "-:7 id=1.50", "-:8 id=-:8"})
	checkFieldsAgree(t, stdinOpener("jsonl", input), Options{}, got, fields)

	r, err = Open("-", Options{Format: "jsonl", IDField: "imdb", Stdin: strings.NewReader(input)})
	if err != nil {
		t.Fatal(err)
	}
	got, fields = readAll(t, r)
	if got[7] != "-:8 id=tt1" || got[0] != "-:1 id=-:1" {
		t.Errorf("with IDField imdb: %q", got)
	}
	checkFieldsAgree(t, stdinOpener("jsonl", input), Options{IDField: "imdb"}, got, fields)
}

func TestIDsDifferByPath(t *testing.T) {
	inDir(t, map[string]string{"movies.csv": "t\nx\n"})
	os.Mkdir("other", 0o755)
	os.WriteFile("other/movies.csv", []byte("t\nx\n"), 0o644)
	var ids []string
	for _, name := range []string{"movies.csv", "other/movies.csv"} {
		r, err := Open(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		ids = append(ids, rec.ID)
	}
	if ids[0] != "movies.csv:2" || ids[1] != "other/movies.csv:2" {
		t.Errorf("ids = %q", ids)
	}
}

func TestCount(t *testing.T) {
	inDir(t, map[string]string{
		"a.jsonl":     "{}\n\n  \r\n{}\r\n{\"x\":1}",
		"empty.jsonl": "",
		"a.json":      "\uFEFF[{\"a\":\"],[{\\\"\"}, [1,2], {\"b\":{\"c\":[3]}}]",
		"e.json":      "[ ]",
		"yts.json":    `{"status":"ok","data":{"movies":[{"id":1},{"id":2}],"movie_count":2}}`,
		"a.csv":       "id,t\n1,\"two\nlines\"\n\n2,x\n",
		"head.csv":    "id,t\n",
		"a.tsv":       "id\tt\n1\tx\n2\ty",
		"obj.json":    `{"data":[]}`,
	})
	cases := []struct {
		name string
		opts Options
		want int
	}{
		{"a.jsonl", Options{}, 3},
		{"empty.jsonl", Options{}, 0},
		{"a.json", Options{}, 3},
		{"e.json", Options{}, 0},
		{"yts.json", Options{RecordsPath: "data.movies"}, 2},
		{"a.csv", Options{}, 3}, // the quoted newline counts twice
		{"head.csv", Options{}, 0},
		{"a.tsv", Options{}, 2},
		{"-", Options{Format: "jsonl"}, -1},
	}
	for _, tc := range cases {
		got, err := Count(tc.name, tc.opts)
		if err != nil || got != tc.want {
			t.Errorf("Count(%s) = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	var np *NoRecordsPathError
	if _, err := Count("obj.json", Options{}); !errors.As(err, &np) || len(np.Arrays) != 1 || np.Arrays[0] != "data" {
		t.Errorf("Count of an object without a path: %v", err)
	}
}

// The decoded values keep the types the renderer relies on.
func TestFieldTypes(t *testing.T) {
	want := map[string]any{
		"r": json.Number("6.10"), "e": json.Number("1e3"), "n": nil, "b": false,
		"g": []any{"A", "B"}, "o": map[string]any{"k": json.Number("1")},
	}
	// The same with Options.Fields naming every key.
	for _, fields := range [][]string{nil, slices.Collect(maps.Keys(want))} {
		r, err := Open("-", Options{Format: "jsonl", Fields: fields, Stdin: strings.NewReader(`{"r":6.10,"e":1e3,"n":null,"b":false,"g":["A","B"],"o":{"k":1}}`)})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec.Fields, want) {
			t.Errorf("with Fields %q: fields = %#v", fields, rec.Fields)
		}
	}
}
