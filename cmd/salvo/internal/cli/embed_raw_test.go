package cli

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/internal/tools/moviegen"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
)

// rawSetup is what embed reads an input with, for a --text template (or
// --fields) and --keep.
func rawSetup(t testing.TB, format, tmpl string, fields, keep []string) (source.Options, *render.Renderer, keeper) {
	t.Helper()
	rd, err := render.New(render.Options{Template: tmpl, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	var kp keeper
	kp.names, kp.all = keepFields(keep, fields, tmpl, rd)
	opts := source.Options{Format: format}
	if names, all := rd.Fields(); !all && !kp.all {
		opts.Fields = append(names, kp.names...)
	}
	return opts, rd, kp
}

// checkRawInputs reads input as records (Next) and as the JSON text of
// their values (NextRaw), and wants the same engine inputs from both: the
// same IDs, places, texts, errors, and kept fields byte for byte. It
// returns the number of records and of those whose text and kept fields
// were made from the values' text.
func checkRawInputs(t testing.TB, opts source.Options, rd *render.Renderer, kp keeper, data string) (n, fast int) {
	t.Helper()
	o := opts
	o.Stdin = strings.NewReader(data)
	a, err := source.Open("-", o)
	if err != nil {
		return 0, 0
	}
	o.Stdin = strings.NewReader(data)
	b, err := source.Open("-", o)
	if err != nil {
		t.Fatal(err)
	}
	ra := &input{name: "-", r: a}
	rb := &input{name: "-", r: b}
	for i := 0; ; i++ {
		if i > len(data)+2 {
			t.Fatal("the readers do not end")
		}
		ia, ib := ra.next(false), rb.next(readsRaw(opts, rd, kp))
		if ia.err == io.EOF || ib.err == io.EOF {
			if ia.err != ib.err {
				t.Fatalf("outcome %d: %v, raw %v", i, ia.err, ib.err)
			}
			return n, fast
		}
		if ib.raw != nil {
			n++
			_, rok := rd.RenderJSON(ib.raw.Field)
			_, kok := keptRaw(ib.raw, kp.names, kp.all)
			if rok && kok {
				fast++
			}
		} else if ia.err == nil {
			n++
		}
		want, got := inputOf("-", ia, rd, kp), inputOf("-", ib, rd, kp)
		if !sameInput(want, got) {
			t.Fatalf("outcome %d:\n got %+v (fields %s)\nwant %+v (fields %s)", i, got, got.Fields, want, want.Fields)
		}
		if ia.err != nil && !isLineError(ia.err) {
			return n, fast
		}
	}
}

func sameInput(a, b engine.Input) bool {
	if (a.Err == nil) != (b.Err == nil) || a.Err != nil && a.Err.Error() != b.Err.Error() {
		return false
	}
	return a.ID == b.ID && a.Where == b.Where && a.Text == b.Text && bytes.Equal(a.Fields, b.Fields) && (a.Fields == nil) == (b.Fields == nil)
}

const movieTemplate = `{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`

// oddRecords have values that are not kept or rendered from their text
// as they stand.
var oddRecords = strings.Join([]string{
	`{"id":1,"title":"Caf\u00e9 \"Noir\"","year":1999.50,"genres":["Drama",null,"War"],"summary":"ok","rating":{"b":1,"a":2}}`,
	`{"id":"two","title":"  ","year":null,"genres":[],"summary":"\t"}`,
	`{"id":3, "title" : "spaced" , "year":[1, 2],"genres":[["nested"]],"summary":"` + "bad \xff byte\u2028" + `"}`,
	`{"id":[4],"title":{"z":1,"a":[true,false]},"genres":"Drama","summary":"s","tags":["a" ,"b"]}`,
	`{"title":"no id","genres":["Comedy"],"summary":"` + "\u2029" + `"}`,
	`{"id":6,"title":"deep","summary":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
	`{"id":7,"title":"broken"`,
	`{"id":8,"title":"x","title":"last","rating":-0.5e+3,"tags":[1.0,"x",true,null]}`,
	``,
	`{"id":9}`,
}, "\n")

func TestRawInputsAgree(t *testing.T) {
	movies, err := os.ReadFile(repoFile(t, "examples/movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tmpl         string
		fields, keep []string
	}{
		{movieTemplate, nil, nil},
		{movieTemplate, nil, []string{"title", "rating", "tags", "id", "absent"}},
		{"{{.title}}", nil, []string{"genres"}},
		{"", []string{"title", "summary", "year"}, nil},
		{"", nil, nil}, // the field text
		{"{{upper .title}}", nil, []string{"year"}},
		{movieTemplate, nil, []string{"*"}},
	} {
		for _, format := range []string{"jsonl", "json"} {
			opts, rd, kp := rawSetup(t, format, c.tmpl, c.fields, c.keep)
			in := string(movies)
			if format == "json" {
				in = "[" + strings.ReplaceAll(strings.TrimSpace(in), "\n", ",\n") + "]"
			}
			n, fast := checkRawInputs(t, opts, rd, kp, in)
			if n < 100 {
				t.Fatalf("%q keep %q: %d movies read", c.tmpl, c.keep, n)
			}
			// The sample catalog's movies are made from their values' text
			// where the renderer can.
			if want := readsRaw(opts, rd, kp) && c.tmpl != ""; want && fast != n {
				t.Errorf("%q keep %q: %d of %d movies made from their values' text", c.tmpl, c.keep, fast, n)
			}
			checkRawInputs(t, opts, rd, kp, oddRecords)
		}
	}
}

func FuzzRawInputs(f *testing.F) {
	for _, line := range strings.Split(oddRecords, "\n") {
		f.Add(line, movieTemplate, "title,tags")
	}
	f.Add(`{"t":"a","g":["x","y"]}`, `{{.t}}{{.g | join "-"}}`, "g")
	f.Fuzz(func(t *testing.T, input, tmpl, keep string) {
		if _, err := render.New(render.Options{Template: tmpl}); err != nil {
			return
		}
		var keepList []string
		if keep != "" {
			keepList = strings.Split(keep, ",")
		}
		opts, rd, kp := rawSetup(t, "jsonl", tmpl, nil, keepList)
		checkRawInputs(t, opts, rd, kp, input)
	})
}

// BenchmarkInputOf makes the engine's inputs of 1,000 movies read as
// embed reads them after the sample: as records (Next) or as the JSON text
// of their values (NextRaw), with the movie template and its fields kept.
func BenchmarkInputOf(b *testing.B) {
	var buf bytes.Buffer
	if err := moviegen.Generate(7, 1000, &buf); err != nil {
		b.Fatal(err)
	}
	data := buf.String()
	for _, raw := range []bool{false, true} {
		name := "records"
		if raw {
			name = "raw"
		}
		b.Run(name, func(b *testing.B) {
			opts, rd, kp := rawSetup(b, "jsonl", movieTemplate, nil, nil)
			b.ReportAllocs()
			for b.Loop() {
				o := opts
				o.Stdin = strings.NewReader(data)
				r, err := source.Open("-", o)
				if err != nil {
					b.Fatal(err)
				}
				in := &input{name: "-", r: r}
				for {
					it := in.next(raw)
					if it.err == io.EOF {
						break
					}
					if e := inputOf("-", it, rd, kp); e.Err != nil {
						b.Fatal(e.Err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
		})
	}
}
