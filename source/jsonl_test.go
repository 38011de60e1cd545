package source

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONL(t *testing.T) {
	runReadCases(t, []readCase{
		{
			name:    "records and blank lines",
			file:    "movies.jsonl",
			content: "{\"id\":1,\"title\":\"A\"}\n\n   \n{\"title\":\"B\"}\n",
			want:    []string{"movies.jsonl:1 id=1", "movies.jsonl:4 id=movies.jsonl:4"},
			fields:  []map[string]any{{"id": json.Number("1"), "title": "A"}, {"title": "B"}},
		},
		{
			name:    "no final newline",
			file:    "m.ndjson",
			content: "{\"id\":1}\n{\"id\":2}",
			want:    []string{"m.ndjson:1 id=1", "m.ndjson:2 id=2"},
		},
		{
			name:    "CRLF and BOM",
			file:    "m.jsonl",
			content: "\uFEFF{\"id\":\"a\"}\r\n\r\n{\"id\":\"b\"}\r\n",
			want:    []string{"m.jsonl:1 id=a", "m.jsonl:3 id=b"},
		},
		{
			name:    "broken line",
			file:    "movies.jsonl",
			content: "{\"id\":1}\n{\"id\":2,}\n{\"id\":3}\n",
			want:    []string{"movies.jsonl:1 id=1", "err movies.jsonl:2: invalid JSON at column 9: invalid character '}'", "movies.jsonl:3 id=3"},
		},
		{
			name:    "not objects",
			file:    "m.jsonl",
			content: "[1]\n42\n\"s\"\nnull\ntrue\n{\"id\":6}\n",
			want: []string{
				"err m.jsonl:1: expected a JSON object, got an array",
				"err m.jsonl:2: expected a JSON object, got a number",
				"err m.jsonl:3: expected a JSON object, got a string",
				"err m.jsonl:4: expected a JSON object, got null",
				"err m.jsonl:5: expected a JSON object, got a boolean",
				"m.jsonl:6 id=6",
			},
		},
		{
			name:    "two objects on a line",
			file:    "m.jsonl",
			content: "{\"id\":1} {\"id\":2}\n{\"id\":3} x\n{\"id\":4}\n",
			want: []string{
				"err m.jsonl:1: invalid JSON: unexpected data after the object at column 10",
				"err m.jsonl:2: invalid JSON: unexpected data after the object at column 10",
				"m.jsonl:3 id=4",
			},
		},
		{
			name:    "pretty-printed object",
			file:    "m.jsonl",
			content: "{\n  \"id\": 1\n}\n{\"id\":2}\n",
			want: []string{
				"err m.jsonl:1: invalid JSON: the line ends inside a value (JSONL needs each object on one line)",
				"err m.jsonl:2: expected a JSON object, got a string",
				"err m.jsonl:3: invalid JSON at column 1",
				"m.jsonl:4 id=2",
			},
		},
		{
			name:    "empty file",
			file:    "m.jsonl",
			content: "",
			want:    nil,
		},
	})
}

func TestJSONLLongLines(t *testing.T) {
	big := strings.Repeat("x", 3<<20) // far over bufio's 64 KiB buffer
	content := "{\"id\":1,\"t\":\"" + big + "\"}\n{\"id\":2}\n"
	r, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(content)})
	if err != nil {
		t.Fatal(err)
	}
	got, fields := readAll(t, r)
	checkOutcomes(t, got, []string{"-:1 id=1", "-:2 id=2"})
	if len(fields) > 0 && fields[0]["t"] != big {
		t.Error("long value was not read whole")
	}
	checkFieldsAgree(t, stdinOpener("jsonl", content), Options{}, got, fields)

	// Over the limit: reported and skipped, the next line is read.
	defer func(old int) { lineLimit = old }(lineLimit)
	lineLimit = 1 << 20
	r, err = Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(content + content)})
	if err != nil {
		t.Fatal(err)
	}
	got, fields = readAll(t, r)
	checkOutcomes(t, got, []string{"err -:1: line longer than", "-:2 id=2", "err -:3: line longer than", "-:4 id=2"})
	checkFieldsAgree(t, stdinOpener("jsonl", content+content), Options{}, got, fields)
}
