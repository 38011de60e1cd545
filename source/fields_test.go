package source

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// project is the reference for Options.Fields: the full record with every
// key that is neither wanted nor the ID field set to nil.
func project(full map[string]any, fields []string, idField string) map[string]any {
	if idField == "" {
		idField = DefaultIDField
	}
	out := make(map[string]any, len(full))
	for k, v := range full {
		if k == idField || slices.Contains(fields, k) {
			out[k] = v
		} else {
			out[k] = nil
		}
	}
	return out
}

// fieldSets are the Options.Fields that reading tests are repeated with,
// some of them made of the keys the records have.
func fieldSets(records []map[string]any) [][]string {
	keys := map[string]bool{}
	for _, r := range records {
		for k := range r {
			keys[k] = true
		}
	}
	all := slices.Sorted(maps.Keys(keys))
	odd := []string{} // not nil, which would mean every field
	for i, k := range all {
		if i%2 == 1 {
			odd = append(odd, k)
		}
	}
	return [][]string{{}, {"title"}, {"id", "title", "r", "absent"}, odd, append([]string{}, all...)}
}

// checkFieldsAgree reads again with each of fieldSets and wants the same
// outcomes as the full reading (got, full), with the fields projected.
// open opens the input afresh with the given options.
func checkFieldsAgree(t *testing.T, open func(Options) (*Reader, error), opts Options, got []string, full []map[string]any) {
	t.Helper()
	for _, fields := range fieldSets(full) {
		o := opts
		o.Fields = fields
		r, err := open(o)
		if err != nil {
			t.Fatalf("Open with Fields %q: %v", fields, err)
		}
		got2, full2 := readAll(t, r)
		r.Close()
		if !slices.Equal(got2, got) {
			t.Errorf("with Fields %q:\n  %s\nwithout:\n  %s", fields, strings.Join(got2, "\n  "), strings.Join(got, "\n  "))
			continue
		}
		for i := range full {
			if want := project(full[i], fields, opts.IDField); !reflect.DeepEqual(full2[i], want) {
				t.Errorf("with Fields %q, record %d:\n got %#v\nwant %#v", fields, i, full2[i], want)
			}
		}
	}
}

// stdinOpener opens input as standard input in the given format.
func stdinOpener(format, input string) func(Options) (*Reader, error) {
	return func(o Options) (*Reader, error) {
		o.Format = format
		o.Stdin = strings.NewReader(input)
		return Open("-", o)
	}
}

// Lines whose broken part is in a field that is not decoded are still bad
// records, reported exactly as without Fields; lines the projector leaves
// to encoding/json come out the same.
func TestFieldsAgree(t *testing.T) {
	deep := strings.Repeat("[", maxProjectDepth+5) + strings.Repeat("]", maxProjectDepth+5)
	tooDeep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	lines := []string{
		`{"id":1,"title":"A","skip":{"x":[1,2,{"y":"z"}]}}`,
		`{"id":2,"title":"A","skip":{"x":[1,2,{"y":}]}}`,
		`{"id":3,"title":"A","skip":"a\x"}`,
		`{"id":4,"title":"A","skip":"\u12G4"}`,
		"{\"id\":5,\"title\":\"A\",\"skip\":\"tab\there\"}",
		`{"id":6,"title":"A","skip":01}`,
		`{"id":7,"title":"A","skip":1.}`,
		`{"id":8,"title":"A","skip":-}`,
		`{"id":9,"title":"A","skip":.5}`,
		`{"id":10,"title":"A","skip":1e}`,
		`{"id":11,"title":"A","skip":tru}`,
		`{"id":12,"title":"A","skip":[1,]}`,
		`{"id":13,"title":"A","skip":{"a":1,}}`,
		`{"id":14,"title":"A","skip":{"a" 1}}`,
		`{"id":15,"title":"A","skip":[1 2]}`,
		`{"id":16,"title":"A","skip":nul`,
		`{"id":17,"title":"A","skip":"open`,
		`{"id":18,"title":"A",}`,
		`{"id":19,"title":"A"} trailing`,
		`{"id":20,"title":"A","skip":1}}`,
		`{"id":21,"title":"A","skip":[}`,
		`{"id":22,"title":"A","skip":{1:2}}`,
		`{"id":23,"title":"A","sk\u0069p":"e","ti\u0074le":"escaped key"}`,
		`{"id":24,"title":"A","title":"B","skip":1,"skip":2}`,
		"{\"id\":25,\"title\":\"bad \xff utf8\",\"skip\":\"\xfe\xff\",\"\xff\":1}",
		`{"id":26,"title":"\ud800 lone \udc00 surrogates \ud83d\ude00","r":-0.0e+5}`,
		`{"id":27,"title":"A","skip":` + deep + `}`,
		`{"id":28,"title":` + deep + `}`,
		`{"id":29,"title":"A","skip":` + tooDeep + `}`,
		`{"id":30,"title":{"a":{"b":[true,false,null,"",{}]},"a":[]},"r":[1.5e3,-2,0]}`,
		`{"id":{"nested":"id"},"title":null}`,
		` {"title":"ws"} `,
		`{}`,
		`{"id":31,"title":"A","skip":"\"quoted\" \\ \/ \b\f\n\r\t"}`,
		"{\"id\":32,\"title\":\"A\",\"skip\":\"del\x7f ok\"}",
		"{\"id\":33,\"title\":\"A\"\r,\t\"skip\" :\r 1 }",
		`[1]`, `"s"`, `null`, `42`,
	}
	var valid []string
	for _, l := range lines {
		if json.Valid([]byte(l)) {
			valid = append(valid, l)
		}
	}
	inputs := map[string]string{
		"jsonl": strings.Join(lines, "\n") + "\n",
		// The array reader stops at broken JSON, so it gets the valid ones.
		"json": "[" + strings.Join(valid, ",\n") + "]",
	}
	for format, input := range inputs {
		for _, id := range []string{"", "skip"} {
			t.Run(format+"/id="+id, func(t *testing.T) {
				open := stdinOpener(format, input)
				r, err := open(Options{IDField: id})
				if err != nil {
					t.Fatal(err)
				}
				got, full := readAll(t, r)
				if want := map[string]int{"jsonl": len(lines), "json": len(valid)}[format]; len(got) != want {
					t.Fatalf("read %d outcomes, want %d", len(got), want)
				}
				checkFieldsAgree(t, open, Options{IDField: id}, got, full)
			})
		}
	}
}

// The projector decodes wanted values exactly as encoding/json does, and
// accepts only lines that encoding/json accepts.
func TestProjector(t *testing.T) {
	cases := []struct {
		line string
		ok   bool // the projector decodes it itself
	}{
		{`{"title":"Up","year":2009,"genres":["A","B"],"skip":{"x":[1,{"y":null}]}}`, true},
		{`{"title":"caf\u00e9 \"x\"","year":-1.5E-3}`, true},
		{"{\"title\":\"bad \xff\"}", true},
		{`{"ti\u0074le":1}`, true},
		{`{"title":1,"title":2}`, true},
		{" \t{ } \r", true},
		{`{"title":1,}`, false},
		{`{"skip":"a\x"}`, false},
		{`{"title":01}`, false},
		{`{"title":1} 2`, false},
		{`[]`, false},
		{``, false},
		{`{"title":` + strings.Repeat("[", maxProjectDepth+1) + strings.Repeat("]", maxProjectDepth+1) + `}`, false},
	}
	for _, tc := range cases {
		p := newProjector([]string{"title", "year", "genres"}, "id")
		got, ok := p.decode([]byte(tc.line))
		if ok != tc.ok {
			t.Errorf("%q: ok = %v, want %v", tc.line, ok, tc.ok)
		}
		if !ok {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(tc.line))
		dec.UseNumber()
		var full map[string]any
		if err := dec.Decode(&full); err != nil {
			t.Fatalf("%q: encoding/json: %v", tc.line, err)
		}
		if want := project(full, []string{"title", "year", "genres"}, "id"); !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %#v\nwant %#v", tc.line, got, want)
		}
	}
}

// Keys are interned: reading the same keys again does not allocate them.
func TestProjectorInterns(t *testing.T) {
	p := newProjector([]string{"title"}, "id")
	line := []byte(`{"id":1,"title":"t","a":1,"b":[1,2],"c":{"d":"e"}}`)
	p.decode(line)
	allocs := testing.AllocsPerRun(100, func() { p.decode(line) })
	// The map (two), the id number and the title.
	if allocs > 4 {
		t.Errorf("%v allocations per line", allocs)
	}
}

func FuzzJSONLFields(f *testing.F) {
	for _, s := range []string{
		"{\"id\":1,\"title\":\"x\",\"skip\":[1,{\"a\":null}]}\n{\"id\":2}",
		"{\"title\":\"\\u00e9\xff\",\"skip\":\"\\x\"}\n{\"title\":1,\"title\":2}",
		"{\"skip\":01}\n{\"a\":[1,]}\n[1]\n{\"ti\\u0074le\":true} x",
		"{\"id\":{\"k\":[]},\"skip\":\"\\ud800\"}\r\n\r\n{}",
	} {
		f.Add(s, "title")
	}
	f.Fuzz(func(t *testing.T, input, field string) {
		fields := []string{field, "a"}
		whole, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(input)})
		if err != nil {
			t.Fatal(err)
		}
		part, err := Open("-", Options{Format: "jsonl", Stdin: strings.NewReader(input), Fields: fields})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if i > len(input)+2 {
				t.Fatal("the readers do not end")
			}
			want, werr := whole.Next()
			got, gerr := part.Next()
			if werr == io.EOF || gerr == io.EOF {
				if werr != gerr {
					t.Fatalf("outcome %d: without Fields %v, with Fields %v", i, werr, gerr)
				}
				return
			}
			var wle, gle *salvo.RecordError
			if errors.As(werr, &wle) != errors.As(gerr, &gle) || (werr == nil) != (gerr == nil) {
				t.Fatalf("outcome %d: without Fields %v, with Fields %v", i, werr, gerr)
			}
			if werr != nil {
				if werr.Error() != gerr.Error() {
					t.Fatalf("outcome %d: without Fields %q, with Fields %q", i, werr, gerr)
				}
				continue
			}
			if got.ID != want.ID || got.Line != want.Line {
				t.Fatalf("outcome %d: with Fields %s id %s, without %s id %s", i, got.Where(), got.ID, want.Where(), want.ID)
			}
			if p := project(want.Fields, fields, ""); !reflect.DeepEqual(got.Fields, p) {
				t.Fatalf("outcome %d:\n got %#v\nwant %#v", i, got.Fields, p)
			}
		}
	})
}
