package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// checkRawAgrees reads input with Next and with NextRaw side by side and
// wants the same outcomes: the same errors, the same records through
// RawRecord.Record, and field texts that decode to the records' values.
func checkRawAgrees(t *testing.T, opts Options, input string) (n, asText int) {
	t.Helper()
	o := opts
	o.Stdin = strings.NewReader(input)
	want, werr := Open("-", o)
	o.Stdin = strings.NewReader(input)
	got, gerr := Open("-", o)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("Open: %v, then %v", werr, gerr)
	}
	if werr != nil {
		return 0, 0
	}
	id := opts.IDField
	if id == "" {
		id = DefaultIDField
	}
	for i := 0; ; i++ {
		if i > len(input)+2 {
			t.Fatal("the readers do not end")
		}
		rec, err := want.Next()
		raw, rerr := got.NextRaw()
		if err != nil || rerr != nil {
			if err == nil || rerr == nil || err.Error() != rerr.Error() || reflect.TypeOf(err) != reflect.TypeOf(rerr) {
				t.Fatalf("outcome %d: Next %v, NextRaw %v", i, err, rerr)
			}
			var le *salvo.RecordError
			if err == io.EOF || !errors.As(err, &le) {
				return n, asText
			}
			continue
		}
		n++
		if raw.ID != rec.ID || raw.Line != rec.Line || raw.Source != rec.Source {
			t.Fatalf("outcome %d: NextRaw %s id %s, Next %s id %s", i, salvo.Where(raw.Source, raw.Line), raw.ID, rec.Where(), rec.ID)
		}
		if raw.JSON() {
			asText++
			for _, name := range append([]string{id, "absent"}, opts.Fields...) {
				v, ok := rec.Fields[name]
				text := raw.Field(name)
				if !ok {
					if text != nil {
						t.Fatalf("outcome %d: field %q is absent, Field gives %q", i, name, text)
					}
					continue
				}
				if text == nil || !json.Valid(text) || bytes.TrimSpace(text) == nil || len(bytes.TrimSpace(text)) != len(text) {
					t.Fatalf("outcome %d: field %q: Field gives %q", i, name, text)
				}
				dec := json.NewDecoder(bytes.NewReader(text))
				dec.UseNumber()
				var dv any
				if err := dec.Decode(&dv); err != nil || !reflect.DeepEqual(dv, v) {
					t.Fatalf("outcome %d: field %q: Field gives %q (%#v, %v), Next %#v", i, name, text, dv, err, v)
				}
			}
		} else if raw.Field(id) != nil {
			t.Fatalf("outcome %d: Field gives a value of a decoded record", i)
		}
		full, err := raw.Record()
		if err != nil || !reflect.DeepEqual(full, rec) {
			t.Fatalf("outcome %d: Record() = %+v, %v; Next gave %+v", i, full, err, rec)
		}
	}
}

func TestNextRawAgrees(t *testing.T) {
	movies, err := os.ReadFile("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	odd := strings.Join([]string{
		`{"id":"a","title":"T\u00e9","year":1999,"genres":["x",null,1.50],"summary":{"b":1,"a":[true]}}`,
		`  {"title" : "spaced" , "id" : 7 }  `,
		`{"id":null,"title":"no id"}`,
		`{"id":"","title":"empty id"}`,
		`{"id":[1,{"x":2}],"title":"list id"}`,
		`{"ti\u0074le":"escaped key","title":"last wins"}`,
		"{\"title\":\"bad \xff utf-8\"}",
		`{"title":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
		`{"title":"broken"`,
		`[1,2]`,
		`{"title":"x"} trailing`,
		``,
		`{"id":01}`,
		`{"other":{"deep":[1,2,{"k":"v"}]},"year":-0.5e+3}`,
	}, "\n")
	for _, fields := range [][]string{{"title", "year", "genres", "summary"}, {"title"}, {}, {"id", "absent"}} {
		for _, id := range []string{"", "title", "imdb_code"} {
			opts := Options{Format: "jsonl", Fields: fields, IDField: id}
			if n, asText := checkRawAgrees(t, opts, string(movies)); n < 100 || asText != n {
				t.Fatalf("%d movies read, %d of them as text", n, asText)
			}
			checkRawAgrees(t, opts, odd)
			opts.Format = "json"
			checkRawAgrees(t, opts, "[\n"+strings.ReplaceAll(strings.TrimSpace(string(movies)), "\n", ",\n")+"\n]")
			checkRawAgrees(t, opts, `[{"id":1,"title":"a"}, 2, {"title":"`+"\xff"+`"},{"id":"x","title":`+strings.Repeat("[", 600)+strings.Repeat("]", 600)+`}]`)
		}
	}
	// Without Fields, and for CSV, NextRaw hands the records over decoded.
	if n, asText := checkRawAgrees(t, Options{Format: "jsonl"}, string(movies)); n < 100 || asText != 0 {
		t.Fatalf("without Fields: %d movies read, %d of them as text", n, asText)
	}
	if n, asText := checkRawAgrees(t, Options{Format: "csv", Fields: []string{"title"}}, "id,title\n1,a\n2\n3,c\n"); n != 2 || asText != 0 {
		t.Fatalf("CSV: %d records read, %d of them as text", n, asText)
	}
}

func FuzzNextRaw(f *testing.F) {
	for _, s := range []string{
		"{\"id\":1,\"title\":\"x\",\"skip\":[1,{\"a\":null}]}\n{\"id\":2}",
		"{\"title\":\"\\u00e9\xff\",\"skip\":\"\\x\"}\n{\"title\":1,\"title\":2}",
		"{\"skip\":01}\n{\"a\":[1,]}\n[1]\n{\"ti\\u0074le\":true} x",
		"{\"id\":{\"k\":[]},\"skip\":\"\\ud800\"}\r\n\r\n{}",
		`[{"id":1,"title":"a"}, 2, {"title":[1, "b"]}]`,
	} {
		f.Add(s, "title", false)
	}
	f.Fuzz(func(t *testing.T, input, field string, array bool) {
		format := "jsonl"
		if array {
			format = "json"
		}
		checkRawAgrees(t, Options{Format: format, Fields: []string{field, "a"}}, input)
	})
}
