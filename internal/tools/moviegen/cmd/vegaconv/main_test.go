package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const catalogs = "../../../../../testdata/catalogs"

// vegaBlobSHA1 is the hash that vega-datasets 3.2.1's datapackage.json
// gives for data/movies.json (a git blob hash).
const vegaBlobSHA1 = "e38178f99454568c5160fc759184a1a1471cc558"

func gitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func readCatalog(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(catalogs, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func convert(t testing.TB, recs []record) (jsonl, csvText []byte) {
	t.Helper()
	var j, c bytes.Buffer
	if err := writeJSONL(&j, recs); err != nil {
		t.Fatalf("writeJSONL: %v", err)
	}
	if err := writeCSV(&c, recs); err != nil {
		t.Fatalf("writeCSV: %v", err)
	}
	return j.Bytes(), c.Bytes()
}

// TestCommittedCatalogs checks the three committed files against each other
// with decoders independent of the converter.
func TestCommittedCatalogs(t *testing.T) {
	const want = 3201
	src := readCatalog(t, "vega-movies.json")
	if got := gitBlobSHA1(src); got != vegaBlobSHA1 {
		t.Fatalf("vega-movies.json has git blob hash %s, want %s as shipped", got, vegaBlobSHA1)
	}
	recs, err := readArray(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != want {
		t.Fatalf("read %d records, want %d", len(recs), want)
	}
	jsonl, csvText := convert(t, recs)
	if !bytes.Equal(jsonl, readCatalog(t, "vega-movies.jsonl")) || !bytes.Equal(csvText, readCatalog(t, "vega-movies.csv")) {
		t.Fatal("committed JSONL or CSV differs from a fresh conversion; rerun vegaconv as its doc comment says")
	}

	var array []map[string]any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&array); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(jsonl), "\n"), "\n")
	rows, err := csv.NewReader(bytes.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(array) != want || len(lines) != want || len(rows) != want+1 {
		t.Fatalf("got %d array elements, %d lines, %d CSV rows; want %d, %d, %d", len(array), len(lines), len(rows), want, want, want+1)
	}
	header := rows[0]
	for n, line := range lines {
		obj := decodeLine(t, line)
		// json.Number compares by spelling, so this also checks numbers.
		if !reflect.DeepEqual(obj, array[n]) {
			t.Fatalf("line %d differs from array element %d:\n%v\n%v", n+1, n+1, obj, array[n])
		}
		if keys := keyOrder(t, line); !slices.Equal(keys, header) {
			t.Fatalf("line %d has keys %q, want the header's %q", n+1, keys, header)
		}
		for col, key := range header {
			if got, want := rows[n+1][col], textOf(obj[key]); got != want {
				t.Errorf("record %d, %q: CSV has %q, JSON lines %q", n+1, key, got, want)
			}
		}
	}
}

func decodeLine(t testing.TB, line string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("decoding %s: %v", line, err)
	}
	return obj
}

// keyOrder lists an object's top-level keys in order.
func keyOrder(t testing.TB, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	var keys []string
	depth, wantKey := 0, false
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			wantKey = depth == 1
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 1 {
			if s, ok := tok.(string); ok && wantKey {
				keys = append(keys, s)
				wantKey = false
				continue
			}
			wantKey = true
		}
	}
}

// textOf is what a CSV cell should hold for a scalar decoded with
// UseNumber; nested values are compared elsewhere.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name, in, jsonl, csv string
	}{
		{"empty array", `[]`, "", ""},
		{"key order and spelling",
			`[ {"b": 1.50, "a": "x,y", "c": null}, {"a": -0, "d": 1E+3, "b": true} ]`,
			"{\"b\":1.50,\"a\":\"x,y\",\"c\":null}\n{\"a\":-0,\"d\":1E+3,\"b\":true}\n",
			"b,a,c,d\n1.50,\"x,y\",,\ntrue,-0,,1E+3\n"},
		{"escapes kept in JSON lines",
			`[{"Director": "Jeff \"\"King\"\" H\u00f6llins\n", "R&D": "<b>"}]`,
			"{\"Director\":\"Jeff \\\"\\\"King\\\"\\\" H\\u00f6llins\\n\",\"R&D\":\"<b>\"}\n",
			"Director,R&D\n\"Jeff \"\"\"\"King\"\"\"\" Höllins\n\",<b>\n"},
		{"nested values compacted",
			"[{\"g\": [ \"Drama\",\n \"War\" ], \"o\": {\"k\" : 1}}]",
			"{\"g\":[\"Drama\",\"War\"],\"o\":{\"k\":1}}\n",
			"g,o\n\"[\"\"Drama\"\",\"\"War\"\"]\",\"{\"\"k\"\":1}\"\n"},
		{"one empty column", `[{"a": ""}, {"a": null}]`,
			"{\"a\":\"\"}\n{\"a\":null}\n", "a\n\"\"\n\"\"\n"},
		{"one empty key", `[{"": 1}]`, "{\"\":1}\n", "\"\"\n1\n"},
		{"numeric title", `[{"Title": 1776}, {"Title": "1776"}]`,
			"{\"Title\":1776}\n{\"Title\":\"1776\"}\n", "Title\n1776\n1776\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := readArray(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			jsonl, csvText := convert(t, recs)
			if string(jsonl) != tt.jsonl {
				t.Errorf("JSON lines:\n got %q\nwant %q", jsonl, tt.jsonl)
			}
			if string(csvText) != tt.csv {
				t.Errorf("CSV:\n got %q\nwant %q", csvText, tt.csv)
			}
		})
	}
}

func TestReadArrayErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty input", ``, "input ends"},
		{"object at top", `{"a":1}`, "one JSON array of objects"},
		{"scalar element", `[1]`, "every element must be an object"},
		{"array element", `[[1]]`, "every element must be an object"},
		{"duplicate key", `[{"a":1},{"a":1,"b":2,"a":3}]`, `key "a" appears twice`},
		{"same key spelled twice", `[{"a":1,"\u0061":2}]`, `key "a" appears twice`},
		{"truncated", `[{"a":1},{"a":`, "record 2"},
		{"missing bracket", `[{"a":1}`, "after record 1"},
		{"trailing data", `[{"a":1}] [`, "one array only"},
		{"bad syntax", `[{"a":tru}]`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readArray(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("readArray(%q) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	if err := os.WriteFile(in, []byte(`[{"Title": "1776", "IMDB Rating": 7.0}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		files   map[string]string
	}{
		{"both outputs", []string{"-in", in, "-jsonl", filepath.Join(dir, "a.jsonl"), "-csv", filepath.Join(dir, "a.csv")}, "",
			map[string]string{"a.jsonl": "{\"Title\":\"1776\",\"IMDB Rating\":7.0}\n", "a.csv": "Title,IMDB Rating\n1776,7.0\n"}},
		{"no input", []string{"-csv", "x.csv"}, "give the input with -in", nil},
		{"missing file", []string{"-in", filepath.Join(dir, "nope.json")}, "no such file", nil},
		{"not an array", []string{"-in", filepath.Join(dir, "a.jsonl")}, "one JSON array of objects", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.files {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", name, got, err, want)
				}
			}
		})
	}
}
