package source

import (
	"encoding/json"
	"strings"
	"testing"
)

const ytsDump = `{"status":"ok","status_message":"Query was successful","data":{"movie_count":3,"limit":20,"page_number":1,
"skip":{"deep":[{"a":[1,2,{"b":"]"}]}]},
"movies":[
  {"id":10,"title":"Inception","year":2010,"rating":8.8,"genres":["Action","Sci-Fi"]},
  {"id":11,
   "title":"Up"},
  {"id":12,"title":"Heat"}
]},"@meta":{"server_time":1}}`

func TestJSON(t *testing.T) {
	runReadCases(t, []readCase{
		{
			name:    "top-level array",
			file:    "movies.json",
			content: "[\n  {\"id\": 1},\n  {\n    \"id\": 2\n  },{\"id\":3}\n]\n",
			want:    []string{"movies.json:2 id=1", "movies.json:3 id=2", "movies.json:5 id=3"},
		},
		{
			name:    "YTS data.movies",
			file:    "yts.json",
			content: ytsDump,
			opts:    Options{RecordsPath: "data.movies"},
			want:    []string{"yts.json:4 id=10", "yts.json:5 id=11", "yts.json:7 id=12"},
		},
		{
			name:    "numbers as written",
			file:    "m.json",
			content: `[{"r":6.10,"e":1e3,"n":null}]`,
			want:    []string{"m.json:1 id=m.json:1"},
			fields:  []map[string]any{{"r": json.Number("6.10"), "e": json.Number("1e3"), "n": nil}},
		},
		{
			name:    "empty array",
			file:    "m.json",
			content: " [ ] ",
			want:    nil,
		},
		{
			name:    "BOM and CRLF",
			file:    "m.json",
			content: "\uFEFF[\r\n{\"id\":1},\r\n{\"id\":2}\r\n]\r\n",
			want:    []string{"m.json:2 id=1", "m.json:3 id=2"},
		},
		{
			name:    "elements that are not objects",
			file:    "m.json",
			content: "[\n{\"id\":1},\n[1,2],\n\"s\",\n3,\nnull,\n{\"id\":6}\n]",
			want: []string{
				"m.json:2 id=1",
				"err m.json:3: record 2 of the array is an array, not an object",
				"err m.json:4: record 3 of the array is a string, not an object",
				"err m.json:5: record 4 of the array is a number, not an object",
				"err m.json:6: record 5 of the array is null, not an object",
				"m.json:7 id=6",
			},
		},
		{
			name:    "broken mid-way",
			file:    "m.json",
			content: "[\n{\"id\":1},\n{\"id\":2,\n\"t\": x},\n{\"id\":3}\n]",
			want:    []string{"m.json:2 id=1", "err m.json:4: invalid JSON: invalid character 'x' looking for beginning of value; the rest of the file is skipped"},
		},
		{
			name:    "missing comma",
			file:    "m.json",
			content: "[\n{\"id\":1}\n{\"id\":2}\n]",
			want:    []string{"m.json:2 id=1", "err m.json:3: invalid JSON: expected comma after array element"},
		},
		{
			name:    "truncated",
			file:    "m.json",
			content: "[\n{\"id\":1},\n{\"id\":2,\"t\":\"abc",
			want:    []string{"m.json:2 id=1", "err m.json:3: invalid JSON: the file ends inside the array (truncated?)"},
		},
		{
			name:    "unclosed array",
			file:    "m.json",
			content: "[\n{\"id\":1}\n",
			want:    []string{"m.json:2 id=1", "err m.json:2: invalid JSON: the file ends inside the array"},
		},
		{
			name:    "data after the array",
			file:    "m.json",
			content: "[{\"id\":1}]\n\n[{\"id\":2}]",
			want:    []string{"m.json:1 id=1", "err m.json:3: invalid JSON: unexpected data after the closing ]"},
		},
		{
			name:    "newline inside a string",
			file:    "m.json",
			content: "[{\"id\":1},\n{\"t\":\"a\nb\"}]",
			want:    []string{"m.json:1 id=1", "err m.json:2: invalid JSON: invalid character '\\n' in string literal"},
		},
	})
}

// Line numbers stay right across many buffer refills.
func TestJSONLinesAcrossBuffers(t *testing.T) {
	var b strings.Builder
	b.WriteString("[\n")
	const n = 5000
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"id":` + strings.Repeat(" ", i%300) + "\n" + `"x"}`)
	}
	b.WriteString("\n]\n")
	for _, fields := range [][]string{nil, {}} {
		r, err := Open("-", Options{Format: "json", Fields: fields, Stdin: strings.NewReader(b.String())})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			rec, err := r.Next()
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if want := 2 + 2*i; rec.Line != want || rec.ID != "x" {
				t.Fatalf("Fields %q: record %d at line %d with id %q, want line %d", fields, i, rec.Line, rec.ID, want)
			}
		}
		if _, err := r.Next(); err == nil {
			t.Errorf("Fields %q: no end after the last record", fields)
		}
	}
}
