package render

import (
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/jsonscan"
)

// jsonFields is the text of each top-level value of the JSON object record
// (the last one of a repeated key), as a reader hands it over.
func jsonFields(record string) (map[string][]byte, bool) {
	m := map[string][]byte{}
	s := jsonscan.NewScanner([]byte(record))
	ok := s.Object(func(key []byte) bool {
		v, ok := s.Value()
		m[string(key)] = v
		return ok
	})
	return m, ok && s.End()
}

// checkRenderJSON renders record with RenderJSON and with Render, and
// fails unless RenderJSON, where it answers, gives Render's text. It
// returns whether RenderJSON answered.
func checkRenderJSON(t *testing.T, r *Renderer, record string) bool {
	t.Helper()
	texts, ok := jsonFields(record)
	fields, dok := decodeFields(record)
	if !ok || !dok || fields == nil {
		return false
	}
	names, all := r.Fields()
	text, ok := r.RenderJSON(func(name string) []byte {
		if !all && !contains(names, name) {
			t.Fatalf("%s: RenderJSON asked for %q, not one of its fields %q", r.Describe(), name, names)
		}
		return texts[name]
	})
	want, err := r.Render(&salvo.Record{ID: "7", Source: "p.jsonl", Line: 3, Fields: fields})
	if ok && (err != nil || text != want) {
		t.Fatalf("%s on %s: RenderJSON gives %q; Render %q, %v", r.Describe(), record, text, want, err)
	}
	return ok
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

var jsonRecords = append([]string{
	`{"title":"Up","year":2009,"genres":["Animation","Family"],"summary":"A house flies.","text":"t"}`,
	`{"title":"Caf\u00e9 \"x\"","year":-1.50e3,"genres":[null,"a",null,"b"],"summary":"` + "\xff" + `","text":" "}`,
	`{"title":"t","genres":[],"summary":"s","year":"1999","text":["a",1]}`,
	`{"title":"t","genres":[1,[2]],"summary":{"b":1},"text":{"a":null}}`,
	`{"title":"\u0020","genres":"", "summary":"\t", "year":null, "text":"\n"}`,
	`{"title":true,"year":false,"genres":"Drama","summary":"s","title":"last"}`,
	`{"text":"\u2028 \ud800"}`,
}, planRecords...)

func TestRenderJSONAgrees(t *testing.T) {
	for _, c := range []struct {
		opts Options
		text bool // the usual record is rendered from its text
	}{
		{Options{Template: `{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`}, true},
		{Options{Template: `{{.genres | join " / "}}{{- .title -}}  x {{join ", " .genres}}`, Prefix: "doc: "}, true},
		{Options{Template: `{{join "a" "b"}}{{.year}}{{join .genres .title}}{{join .title .year}}`}, false}, // field separators
		{Options{Template: `{{.title}}`}, true},
		{Options{Fields: []string{"title", "genres", "year"}}, true},
		{Options{Fields: []string{"summary"}, Prefix: "p: "}, true},
		{Options{}, true},
	} {
		r, err := New(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !r.RendersJSON() {
			t.Fatalf("%s: RendersJSON is false", r.Describe())
		}
		for _, rec := range jsonRecords {
			checkRenderJSON(t, r, rec)
		}
		if got := checkRenderJSON(t, r, jsonRecords[0]); got != c.text {
			t.Errorf("%s: text for %s: %v, want %v", r.Describe(), jsonRecords[0], got, c.text)
		}
	}
	r, err := New(Options{Template: `{{upper .title}}`})
	if err != nil {
		t.Fatal(err)
	}
	if r.RendersJSON() || checkRenderJSON(t, r, jsonRecords[0]) {
		t.Error("a template without a plan renders from the values' text")
	}
}

// FuzzRenderJSON: for any renderer that can and any record, RenderJSON
// gives Render's text where it gives one.
func FuzzRenderJSON(f *testing.F) {
	for _, s := range jsonRecords {
		f.Add(`{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`, s, false)
	}
	f.Add(`{{.genres | join .title}}`, `{"genres":["a","b"],"title":", "}`, false)
	f.Add(`title,genres`, `{"genres":["a","b"],"title":" "}`, true)
	f.Fuzz(func(t *testing.T, tmpl, record string, fields bool) {
		opts := Options{Template: tmpl}
		switch {
		case fields:
			opts = Options{Fields: splitFields(tmpl)}
		case tmpl == "":
			opts = Options{}
		}
		r, err := New(opts)
		if err != nil || !r.RendersJSON() {
			return
		}
		checkRenderJSON(t, r, record)
	})
}

func splitFields(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
