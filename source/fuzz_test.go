package source

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// fuzzRead reads input in the given format and checks the invariants every
// format shares: no panic, an end, lines that start at 1 and never go back.
func fuzzRead(t *testing.T, format, input string) ([]*salvo.RecordError, int) {
	return fuzzReadOpts(t, Options{Format: format}, input)
}

func fuzzReadOpts(t *testing.T, opts Options, input string) ([]*salvo.RecordError, int) {
	opts.Stdin = strings.NewReader(input)
	r, err := Open("-", opts)
	if err != nil {
		return nil, 0
	}
	var bad []*salvo.RecordError
	n, last := 0, 0
	for i := 0; ; i++ {
		if i > len(input)+2 {
			t.Fatalf("more outcomes than bytes: the reader does not end")
		}
		rec, err := r.Next()
		if err == io.EOF {
			return bad, n
		}
		var le *salvo.RecordError
		switch {
		case errors.As(err, &le):
			if le.Line < 1 {
				t.Fatalf("salvo.RecordError at line %d: %v", le.Line, le)
			}
			bad = append(bad, le)
		case err != nil:
			t.Fatalf("fatal error on in-memory input: %v", err)
		default:
			if rec.Line < 1 || rec.Line < last {
				t.Fatalf("record at line %d after line %d", rec.Line, last)
			}
			if rec.ID == "" || rec.Fields == nil {
				t.Fatalf("record without ID or fields: %+v", rec)
			}
			last = rec.Line
			n++
		}
	}
}

func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		"{\"id\":1}\n{\"id\":2}",
		"\uFEFF{\"a\":[1,{\"b\":null}]}\r\n\r\n{}",
		"{\"a\":1} x\n[1]\n42\n{\"a\":\n",
		"{\"a\":\"\\u00e9\xff\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		r, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(input)})
		if err != nil {
			t.Fatal(err)
		}
		// Reference: split into lines and decode each with encoding/json.
		text := strings.TrimPrefix(input, "\uFEFF")
		lines := strings.Split(text, "\n")
		for i, line := range lines {
			line = strings.TrimSuffix(line, "\r")
			if blank([]byte(line)) {
				continue
			}
			want, wantOK := referenceObject(line)
			rec, err := r.Next()
			if !wantOK {
				var le *salvo.RecordError
				if !errors.As(err, &le) || le.Line != i+1 {
					t.Fatalf("line %d %q: want a salvo.RecordError at line %d, got %v", i+1, line, i+1, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("line %d %q: %v", i+1, line, err)
			}
			if rec.Line != i+1 || !reflect.DeepEqual(rec.Fields, want) {
				t.Fatalf("line %d %q: got line %d fields %#v, want %#v", i+1, line, rec.Line, rec.Fields, want)
			}
		}
		if rec, err := r.Next(); err != io.EOF {
			t.Fatalf("after the last line: %v, %v", rec, err)
		}
	})
}

// referenceObject decodes line as exactly one JSON object.
func referenceObject(line string) (map[string]any, bool) {
	if !json.Valid([]byte(line)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		"[\n{\"id\":1},\n{\"id\":2}\n]",
		"\uFEFF[{\"a\":[1,2]},3,\"x\",null,{}]",
		"[{\"a\":1}{\"b\":2}]",
		"[{\"a\":1},",
		"[]x",
		`{"data":{"movies":[{"id":1}]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		bad, n := fuzzRead(t, "json", input)
		// A valid array of objects reads whole and without complaint.
		var want []map[string]any
		if json.Unmarshal([]byte(strings.TrimPrefix(input, "\uFEFF")), &want) == nil && !containsNull(want) {
			if len(bad) != 0 || n != len(want) {
				t.Fatalf("valid array of %d objects: read %d records and %d errors (%v)", len(want), n, len(bad), bad)
			}
		}
		fuzzReadOpts(t, Options{Format: "json", RecordsPath: "data.movies"}, input)
		// Options.Fields changes the values only.
		whole, err := Open("-", Options{Format: "json", Stdin: strings.NewReader(input)})
		if err != nil {
			return
		}
		got, full := readAll(t, whole)
		checkFieldsAgree(t, stdinOpener("json", input), Options{}, got, full)
		if c, err := countJSONString(input); err == nil && len(bad) == 0 && c != n {
			t.Fatalf("Count says %d, reader read %d", c, n)
		}
	})
}

func containsNull(objs []map[string]any) bool {
	for _, o := range objs {
		if o == nil {
			return true
		}
	}
	return false
}

func countJSONString(input string) (int, error) {
	br := bufio.NewReader(strings.NewReader(input))
	skipBOM(br)
	return countJSON("-", br, "")
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"id,t\n1,a\n2,\"b\nc\"\n",
		"\uFEFFa,a,\r\n1,2,3\r\n",
		"id,t\n1,5\" tall\n2,\"x\"y\n3\n",
		"id,t\n1,\"unclosed\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		bad, n := fuzzRead(t, "csv", input)
		// Without errors, the reader agrees with encoding/csv on the rows.
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(input, "\uFEFF")))
		rows, err := cr.ReadAll()
		if err == nil && len(bad) == 0 && len(rows) > 0 && n != len(rows)-1 {
			t.Fatalf("encoding/csv reads %d rows after the header, the reader %d records", len(rows)-1, n)
		}
	})
}

func FuzzTSV(f *testing.F) {
	for _, s := range []string{
		"id\tt\n1\ta\n2\t\\N\n",
		"\uFEFFa\ta\r\n\"1\t2\r\n3\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		bad, n := fuzzRead(t, "tsv", input)
		text := strings.TrimPrefix(input, "\uFEFF")
		lines := 0
		for _, l := range strings.Split(text, "\n") {
			if strings.TrimSuffix(l, "\r") != "" {
				lines++
			}
		}
		if lines > 0 && n+len(bad) != lines-1 {
			t.Fatalf("%d non-empty lines after the header, got %d records and %d errors", lines-1, n, len(bad))
		}
	})
}
