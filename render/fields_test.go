package render

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// fieldsCases are templates and the fields they read; nil means all.
var fieldsCases = []struct {
	tmpl string
	want []string
}{
	{`{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`, []string{"genres", "summary", "title", "year"}},
	{`plain text`, []string{}},
	{`{{/* a comment */}}{{"const"}} {{1}} {{true}} {{nil | print}}`, []string{}},
	{`{{.director.name}} {{.a.b.c}}`, []string{"a", "director"}},
	{`{{index . "Major Genre"}} {{index $ "x y" 0}}`, []string{"Major Genre", "x y"}},
	{`{{index . "a" .b}}`, []string{"a", "b"}},
	{`{{index .genres 0}} {{index .director "name"}}`, []string{"director", "genres"}},
	{`{{$.title}} {{$.a.b}}`, []string{"a", "title"}},
	{`{{range .genres}}{{.}} {{.name}} {{$.title}}{{end}}`, []string{"genres", "title"}},
	{`{{range $i, $g := .genres}}{{$i}}{{$g}}{{end}}`, []string{"genres"}},
	{`{{range .genres}}{{break}}{{continue}}{{else}}{{.tagline}}{{end}}`, []string{"genres", "tagline"}},
	{`{{with .director}}{{.name}}{{else}}{{.title}}{{end}}`, []string{"director", "title"}},
	{`{{with $d := .director}}{{$d.name}}{{end}}`, []string{"director"}},
	{`{{if .a}}{{.b}}{{else if .c}}{{.d}}{{else}}{{.e}}{{end}}`, []string{"a", "b", "c", "d", "e"}},
	{`{{$x := .a}}{{$x.b}}{{$x = .c}}{{$x}}`, []string{"a", "c"}},
	{`{{.tagline | default .title | upper}}`, []string{"tagline", "title"}},
	{`{{printf "%s %v" .a (.b) | print}} {{(.c).d}} {{len .e}}`, []string{"a", "b", "c", "e"}},
	{`{{if and .a (or .b (not .c)) (eq .d "x")}}y{{end}}`, []string{"a", "b", "c", "d"}},
	{`{{define "t"}}{{.name}}{{.x}}{{end}}{{template "t" .director}}`, []string{"director"}},
	{`{{define "t"}}{{$.name}}{{end}}{{template "t" .director}}`, []string{"director", "name"}},
	{`{{block "t" .director}}{{.name}}{{end}}`, []string{"director"}},
	{`{{template "t"}}{{define "t"}}{{.x}}{{end}}`, []string{}},
	{`{{.title}}{{.title}}{{index . "title"}}`, []string{"title"}},
	{`{{.title "arg"}}`, []string{"title"}},
	{`{{/* a template that is only a define runs with the record */}}{{define "text"}}{{.a}}{{end}}`, []string{"a"}},

	// The whole record.
	{`{{.}}`, nil},
	{`{{$}}`, nil},
	{`{{range .}}{{.}}{{end}}`, nil},
	{`{{range $k, $v := .}}{{$k}}{{end}}`, nil},
	{`{{with .}}{{.a}}{{end}}`, nil},
	{`{{if .}}x{{end}}`, nil},
	{`{{index . .key}}`, nil},
	{`{{$k := "a"}}{{index . $k}}`, nil},
	{`{{index . 1}}`, nil},
	{`{{index .}}`, nil},
	{`{{.key | index .}}`, nil},
	{`{{"a" | index . "b"}}`, nil},
	{`{{printf "%v" .}}`, nil},
	{`{{print $}}`, nil},
	{`{{len .}}`, nil},
	{`{{. | printf "%v"}}`, nil},
	{`{{$r := .}}{{$r.a}}`, nil},
	{`{{(.).a}}`, nil},
	{`{{template "t" .}}{{define "t"}}{{.a}}{{end}}`, nil},
	{`{{template "t" $}}{{define "t"}}{{.a}}{{end}}`, nil},
	{`{{block "t" .}}{{.a}}{{end}}`, nil},
	{`{{range .genres}}{{else}}{{.}}{{end}}`, nil},
	{`{{join . ","}}`, nil},
	{`{{default "x" .}}`, nil},
	{`{{_salvo_get . "a"}}`, nil},
	{`{{eq . nil}}`, nil},
}

func TestFieldsOfTemplates(t *testing.T) {
	for _, tc := range fieldsCases {
		r, err := New(Options{Template: tc.tmpl})
		if err != nil {
			t.Fatalf("%s: %v", tc.tmpl, err)
		}
		names, all := r.Fields()
		switch {
		case tc.want == nil && !all:
			t.Errorf("%s: Fields() = %q, want all", tc.tmpl, names)
		case tc.want != nil && (all || names == nil || !slices.Equal(names, tc.want)):
			t.Errorf("%s: Fields() = %q, %v; want %q", tc.tmpl, names, all, tc.want)
		}
	}
}

func TestFieldsOfLists(t *testing.T) {
	cases := []struct {
		opts Options
		want []string
	}{
		{Options{}, []string{"text"}},
		{Options{Prefix: "search_document: "}, []string{"text"}},
		{Options{Fields: []string{"title", "year", "Major Genre", "title"}}, []string{"Major Genre", "title", "year"}},
	}
	for _, tc := range cases {
		r, err := New(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		names, all := r.Fields()
		if all || !slices.Equal(names, tc.want) {
			t.Errorf("%+v: Fields() = %q, %v; want %q", tc.opts, names, all, tc.want)
		}
		names[0] = "changed"
		if again, _ := r.Fields(); again[0] == "changed" {
			t.Errorf("%+v: Fields returns the renderer's own slice", tc.opts)
		}
	}
}

// only keeps the named fields of a record and sets the others to nil, as
// source.Options.Fields does.
func only(fields map[string]any, names []string) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if slices.Contains(names, k) {
			out[k] = v
		} else {
			out[k] = nil
		}
	}
	return out
}

// sameRender checks that r renders fields and their projection on its
// Fields alike, errors included.
func sameRender(t *testing.T, r *Renderer, fields map[string]any) {
	t.Helper()
	names, all := r.Fields()
	if all {
		return
	}
	want, werr := r.Render(rec(fields))
	got, gerr := r.Render(rec(only(fields, names)))
	if got != want || (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Errorf("%s with only %q:\n got %q, %v\nwant %q, %v", r.Describe(), names, got, gerr, want, werr)
	}
}

func TestFieldsRenderAlike(t *testing.T) {
	records := []map[string]any{movie(), {}, {"a": map[string]any{"b": "x"}, "c": []any{"1"}, "b": "B", "d": json.Number("4"), "e": "", "name": "n", "text": "t", "x y": []any{"z"}}}
	for _, tc := range fieldsCases {
		r, err := New(Options{Template: tc.tmpl})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range records {
			sameRender(t, r, f)
		}
	}
	for _, opts := range []Options{{}, {Fields: []string{"title", "genres"}}} {
		r, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range records {
			sameRender(t, r, f)
		}
	}
}

// The "no text field" error still lists every field of a record whose
// other fields are nil.
func TestNoTextFieldWithOnly(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	names, _ := r.Fields()
	_, err = r.Render(rec(only(movie(), names)))
	if err == nil {
		t.Fatal("no error for a record without text")
	}
	for _, k := range slices.Sorted(maps.Keys(movie())) {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not name field %q", err, k)
		}
	}
}

func FuzzFields(f *testing.F) {
	for _, tc := range fieldsCases {
		f.Add(tc.tmpl, `{"title":"Up","a":{"b":1},"genres":["x"],"name":"n","x y":2}`)
	}
	f.Fuzz(func(t *testing.T, tmpl, record string) {
		// Keep execution short: no long or nested loops, no deep recursion.
		if len(tmpl) > 300 || strings.Count(tmpl, "range") > 2 || strings.Count(tmpl, "template")+strings.Count(tmpl, "block") > 1 || hasLongNumber(tmpl) {
			return
		}
		r, err := New(Options{Template: tmpl})
		if err != nil {
			return
		}
		names, all := r.Fields()
		if !all && (names == nil || !slices.IsSorted(names)) {
			t.Fatalf("%s: Fields() = %#v", tmpl, names)
		}
		dec := json.NewDecoder(strings.NewReader(record))
		dec.UseNumber()
		var fields map[string]any
		if dec.Decode(&fields) != nil || fields == nil {
			return
		}
		sameRender(t, r, fields)
	})
}

// hasLongNumber reports whether s holds a run of three digits or more, a
// loop count that would make a fuzz run slow.
func hasLongNumber(s string) bool {
	run := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			if run++; run >= 3 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
