package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
	"github.com/salvoembed/salvo/internal/tools/moviegen"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
	"github.com/salvoembed/salvo/sqlite"
)

func TestKeepFields(t *testing.T) {
	tmpl := `{{.title}} ({{.year}}). {{join .genres ", "}}. {{index . "Major Genre"}}`
	rd, err := render.New(render.Options{Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if got, all := keepFields(nil, nil, tmpl, rd); all || !slices.Equal(got, []string{"title", "year", "genres", "Major Genre"}) {
		t.Errorf("default keep from a template = %v, %v; want the template's order", got, all)
	}
	if got, _ := keepFields([]string{"b", "a"}, []string{"x"}, tmpl, rd); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("--keep b,a = %v", got)
	}
	if _, all := keepFields([]string{"*"}, nil, tmpl, rd); !all {
		t.Error("--keep '*' does not keep all")
	}
	if got, _ := keepFields(nil, []string{"x", "y"}, "", rd); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("default keep with --fields x,y = %v", got)
	}
	rec := &salvo.Record{Fields: map[string]any{"title": "A \"B\" <C>", "year": json.Number("1999"), "genres": []any{"x"}, "n": nil}}
	if got := string(keptJSON(rec, []string{"year", "title", "missing", "n"}, false)); got != `{"year":1999,"title":"A \"B\" <C>","n":null}` {
		t.Errorf("keptJSON = %s", got)
	}
	if got := string(keptJSON(rec, nil, true)); got != `{"genres":["x"],"n":null,"title":"A \"B\" <C>","year":1999}` {
		t.Errorf("keptJSON of all = %s", got)
	}
}

// Changing --keep re-stores every record with the new fields, from the
// cache: no request.
func TestKeepChangeRestoresWithoutRequests(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model) // keeps title,year,genres
	before, inputs := s.Stats().Requests, s.Stats().Inputs
	r := run(t, "", "embed", repoFile(t, "examples/movies.jsonl"), "--host", s.URL(), "--model", model, "--db", db,
		"--text", "{{.title}}", "--keep", "title,rating", "--quiet")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	docs, err := st.Docs(t.Context(), "movies", []string{"1"})
	if err != nil || string(docs[0].Fields) != `{"title":"Dusk in Kestrel Bay","rating":5.7}` {
		t.Errorf("kept fields after --keep title,rating: %s, %v", docs[0].Fields, err)
	}
	if n := s.Stats().Requests - before; n > 3 { // the preflight's version, tags and show
		t.Errorf("%d requests to re-store kept fields, want none for embeddings", n)
	}
	if got := s.Stats().Inputs - inputs; got != 0 {
		t.Errorf("%d texts embedded again, want none", got)
	}
	cs, _ := st.Collections(t.Context())
	if cs[0].Keep != "title,rating" {
		t.Errorf("collection keeps %q", cs[0].Keep)
	}
}

func FuzzKeptJSON(f *testing.F) {
	f.Add("title", "A \"quoted\" \x00 value\n", "1.5e3")
	f.Add("Major Genre", "\xff\xfe", "-0")
	f.Fuzz(func(t *testing.T, name, s, num string) {
		rec := &salvo.Record{Fields: map[string]any{name: s, name + "2": json.Number(num), name + "3": []any{s, nil}}}
		if !json.Valid([]byte(num)) {
			delete(rec.Fields, name+"2")
		}
		out := keptJSON(rec, []string{name, name + "2", name + "3"}, false)
		if !json.Valid(out) {
			t.Fatalf("keptJSON wrote invalid JSON: %q", out)
		}
		var want string // the name as encoding/json round-trips it
		m, _ := json.Marshal(name)
		json.Unmarshal(m, &want)
		keys, err := objectKeys(out)
		if err != nil || len(keys) == 0 || keys[0] != want {
			t.Fatalf("objectKeys(%q) = %q, %v", out, keys, err)
		}
	})
}

func FuzzObjectKeysAndFieldText(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1,"x"],"c":{"d":null}}`))
	f.Add([]byte(`"s"`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := objectKeys(b)
		var m map[string]json.RawMessage
		if err == nil && json.Unmarshal(b, &m) == nil && len(keys) > 0 {
			for _, k := range keys {
				if _, ok := m[k]; !ok {
					t.Fatalf("objectKeys(%q) has %q, json.Unmarshal does not", b, k)
				}
			}
		}
		fieldText(b)
	})
}

// keptJSONByEncoder is keptJSON as encoding/json alone writes it.
func keptJSONByEncoder(rec *salvo.Record, keep []string) []byte {
	b := []byte{'{'}
	for _, name := range keep {
		v, ok := rec.Fields[name]
		if !ok {
			continue
		}
		var val bytes.Buffer
		enc := json.NewEncoder(&val)
		enc.SetEscapeHTML(false)
		if enc.Encode(v) != nil {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(jsonstr.AppendString(b, name), ':')
		b = append(b, bytes.TrimSuffix(val.Bytes(), []byte("\n"))...)
	}
	return append(b, '}')
}

// Every field of every example movie, and values only encoding/json
// writes (a float64, a bad number), are kept as encoding/json writes them.
func TestKeptJSONAsEncodingJSON(t *testing.T) {
	r, err := source.Open(repoFile(t, "examples/movies.jsonl"), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for ; ; n++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names := slices.Sorted(maps.Keys(rec.Fields))
		if got, want := keptJSON(rec, nil, true), keptJSONByEncoder(rec, names); !bytes.Equal(got, want) {
			t.Fatalf("record %s: keptJSON = %s, encoding/json writes %s", rec.ID, got, want)
		}
	}
	if n < 100 {
		t.Fatalf("%d movies read", n)
	}
	rec := &salvo.Record{Fields: map[string]any{"f": 1.5, "bad": json.Number("1e"), "l": []any{"\b<", 2.5}, "s": "x\fy"}}
	keep := []string{"s", "bad", "f", "l"}
	if got, want := keptJSON(rec, keep, false), keptJSONByEncoder(rec, keep); !bytes.Equal(got, want) {
		t.Fatalf("keptJSON = %s, encoding/json writes %s", got, want)
	}
}

// BenchmarkKeptJSON keeps the fields a movie template prints, as embed does
// by default for each record.
func BenchmarkKeptJSON(b *testing.B) {
	var buf bytes.Buffer
	if err := moviegen.Generate(7, 1000, &buf); err != nil {
		b.Fatal(err)
	}
	keep := []string{"title", "year", "genres", "summary"}
	r, err := source.Open("-", source.Options{Format: "jsonl", Fields: keep, Stdin: &buf})
	if err != nil {
		b.Fatal(err)
	}
	var recs []*salvo.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, rec)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, rec := range recs {
			keptJSON(rec, keep, false)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
