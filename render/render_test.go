package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
)

// movie is a YTS-like record.
func movie() map[string]any {
	return map[string]any{
		"id":          json.Number("10"),
		"title":       "Inception",
		"year":        json.Number("2010"),
		"rating":      json.Number("6.10"),
		"runtime":     json.Number("1e3"),
		"genres":      []any{"Action", "Sci-Fi"},
		"summary":     "A thief who steals secrets <through> dreams & more.",
		"tagline":     nil,
		"adult":       false,
		"Major Genre": "Thriller",
		"collection":  nil,
		"director":    map[string]any{"name": "Nolan", "born": json.Number("1970"), "alias": nil},
		"torrents":    []any{map[string]any{"quality": "720p"}, map[string]any{"quality": "1080p"}},
		"mixed":       []any{"a", nil, json.Number("2"), true},
	}
}

func rec(fields map[string]any) *salvo.Record {
	return &salvo.Record{ID: "10", Source: "movies.jsonl", Line: 7, Fields: fields}
}

func TestRenderTemplate(t *testing.T) {
	cases := []struct {
		name, tmpl, want string
	}{
		{"fields", "{{.title}} ({{.year}}): {{.summary}}", "Inception (2010): A thief who steals secrets <through> dreams & more."},
		{"numbers as written", "{{.rating}} {{.runtime}} {{.year}}", "6.10 1e3 2010"},
		{"missing and null", "[{{.nope}}|{{.tagline}}|{{.nope.deeper}}|{{.collection.name}}|{{$.nope}}]", "[||||]"},
		{"key with spaces", `{{index . "Major Genre"}}/{{index . "Minor Genre"}}/{{index .collection "x"}}/{{index .genres 1}}/{{index .genres 9}}`, "Thriller///Sci-Fi/"},
		{"list of scalars", "{{.genres}}", "Action, Sci-Fi"},
		{"nulls dropped from lists", "{{.mixed}}", "a, 2, true"},
		{"object as JSON", "{{.director}}", `{"alias":null,"born":1970,"name":"Nolan"}`},
		{"list of objects as JSON", "{{.torrents}}", `[{"quality":"720p"},{"quality":"1080p"}]`},
		{"nested", "{{.director.name}} {{.director.alias}}.", "Nolan ."},
		{"bool", "{{.adult}}", "false"},
		{"range and with", "{{range .genres}}<{{.}}>{{end}}{{range .nope}}x{{end}} {{with .director}}{{.name}}{{.alias}}{{.none}}{{end}}{{with .collection}}x{{else}}none{{end}}", "<Action><Sci-Fi> Nolannone"},
		{"range over objects", "{{range .torrents}}{{.quality}} {{.size}}|{{end}}", "720p |1080p |"},
		{"fields of non-objects inside range and with", "{{range .genres}}{{.name}}{{end}}{{with .title}}{{.x}}{{.x.y}}{{end}}.", "."},
		{"variables", "{{$d := .director}}{{$d.name}} {{$d.nope}}.", "Nolan ."},
		{"if on null and missing", "{{if .tagline}}a{{end}}{{if .nope}}b{{end}}{{if .collection.name}}c{{end}}{{if .title}}d{{end}}", "d"},
		{"eq", `{{if eq .year "2010"}}yes{{end}}{{if eq .nope "x"}}no{{end}}`, "yes"},
		{"join", `{{join .genres " / "}} {{.genres | join "+"}} {{join .nope ","}}.`, "Action / Sci-Fi Action+Sci-Fi ."},
		{"case and trim", `{{upper .title}} {{lower "ABC"}} [{{trim "  x "}}] {{.nope | upper}}.`, "INCEPTION abc [x] ."},
		{"default", `{{.tagline | default "no tagline"}} {{default "-" .title}} {{.nope | default .rating}}`, "no tagline Inception 6.10"},
		{"print family", `{{print .tagline .title}} {{printf "%s/%v" .nope .genres}} {{len .nope}} {{len .genres}}`, "Inception /Action, Sci-Fi 0 2"},
		{"chain", "{{(.director).name}}{{(.collection).name}}", "Nolan"},
		{"define and template", `{{define "d"}}{{.name}}{{.none}}{{end}}by {{template "d" .director}}`, "by Nolan"},
		{"printf of an object", `{{.director | printf "%v"}}`, `{"alias":null,"born":1970,"name":"Nolan"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(Options{Template: tc.tmpl})
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Render(rec(movie()))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestRenderFieldsAndDefault(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		fields  map[string]any
		want    string
		wantErr string // substring; the whole message when it starts with "="
	}{
		{name: "fields", opts: Options{Fields: []string{"title", "year", "genres"}}, fields: movie(), want: "title: Inception\nyear: 2010\ngenres: Action, Sci-Fi"},
		{name: "field missing", opts: Options{Fields: []string{"title", "nope", "tagline"}}, fields: movie(), want: "title: Inception\nnope: \ntagline: "},
		{name: "fields all missing", opts: Options{Fields: []string{"nope", "tagline"}}, fields: movie(), wantErr: "movies.jsonl:7 (id 10): empty text: all of the fields nope, tagline are missing, null or empty"},
		{name: "fields with prefix", opts: Options{Fields: []string{"rating"}, Prefix: "search_document: "}, fields: movie(), want: "search_document: rating: 6.10"},
		{name: "default text", opts: Options{}, fields: map[string]any{"text": "hello", "id": "1"}, want: "hello"},
		{name: "default text with prefix", opts: Options{Prefix: "query: "}, fields: map[string]any{"text": "hello"}, want: "query: hello"},
		{name: "default text null", opts: Options{}, fields: map[string]any{"text": nil}, wantErr: `empty text: the "text" field is null or empty`},
		{name: "default text blank", opts: Options{Prefix: "p: "}, fields: map[string]any{"text": " \n\t"}, wantErr: "empty text"},
		{
			name:    "no text field",
			opts:    Options{},
			fields:  map[string]any{"genres": nil, "id": 1, "rating": 2, "summary": "", "title": "", "year": 3},
			wantErr: `=movies.jsonl:7 (id 10): record has no "text" field (fields: genres, id, rating, summary, title, year)`,
		},
		{
			name:    "no text field, other names",
			opts:    Options{},
			fields:  map[string]any{"Primary Title": "x", "plot": "y", "id": 1, "genre": "z"},
			wantErr: `=movies.jsonl:7 (id 10): record has no "text" field (fields: Primary Title, genre, id, plot)`,
		},
		{name: "template empty", opts: Options{Template: "{{.nope}} {{.tagline}}\n"}, fields: movie(), wantErr: "movies.jsonl:7 (id 10): empty text: the template printed nothing"},
		{name: "template exec error", opts: Options{Template: "{{call .title}}"}, fields: movie(), wantErr: "movies.jsonl:7 (id 10): template: text:1:2: executing"},
		{name: "template unknown sub-template", opts: Options{Template: `{{template "x"}}`}, fields: movie(), wantErr: `movies.jsonl:7 (id 10): template: `},
		{name: "prefix with template", opts: Options{Template: "{{.title}}", Prefix: "search_document: "}, fields: movie(), want: "search_document: Inception"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Render(rec(tc.fields))
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Errorf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			switch {
			case err == nil:
				t.Fatalf("no error; text %q", got)
			case strings.HasPrefix(tc.wantErr, "="):
				if err.Error() != tc.wantErr[1:] {
					t.Errorf("error\n got %s\nwant %s", err, tc.wantErr[1:])
				}
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if strings.Contains(tc.wantErr, "empty text") != errors.Is(err, ErrEmptyText) {
				t.Errorf("errors.Is(err, ErrEmptyText) = %v for %v", errors.Is(err, ErrEmptyText), err)
			}
		})
	}
}

// The ID is left out of messages when it is only the position again.
func TestErrorWhere(t *testing.T) {
	r, _ := New(Options{})
	_, err := r.Render(&salvo.Record{ID: "m.csv:3", Source: "m.csv", Line: 3, Fields: map[string]any{"text": ""}})
	if err == nil || !strings.HasPrefix(err.Error(), "m.csv:3: empty text") {
		t.Errorf("error = %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"both", Options{Template: "{{.a}}", Fields: []string{"a"}}, []string{"not both", "a template or a list of fields"}},
		{"space in key", Options{Template: "{{.Major Genre}}"}, []string{"invalid template: line 1:", `function "Genre" not defined`, `{{index . "Major Genre"}}`}},
		{"dash in key", Options{Template: "{{.release-date}}"}, []string{"bad character", `{{index . "release-date"}}`}},
		{"unknown function", Options{Template: "{{titlecase .a}}"}, []string{`"titlecase" not defined`, "join, lower, upper, trim, default"}},
		{"unclosed", Options{Template: "{{.a"}, []string{"invalid template", "the `{{` of `{{.a` has no matching `}}`"}},
		{"empty field name", Options{Fields: []string{"a", " "}}, []string{`field 2 of the field list "a, " is empty`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		opts Options
		want string
	}{
		{Options{}, "field:text"},
		{Options{Fields: []string{"title", "summary"}}, "fields:title,summary"},
		{Options{Template: "{{.title}}: {{.summary}}"}, "{{.title}}: {{.summary}}"},
		{Options{Template: "{{.title}}", Prefix: "search_document: "}, `prefix:"search_document: " {{.title}}`},
		{Options{Prefix: "q: "}, `prefix:"q: " field:text`},
	}
	for _, tc := range cases {
		r, err := New(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Describe(); got != tc.want {
			t.Errorf("Describe() = %q, want %q", got, tc.want)
		}
	}
}

func TestConcurrentRender(t *testing.T) {
	r, err := New(Options{Template: "{{.title}} {{.genres}} {{.director.name}} {{.n}}"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				f := movie()
				f["n"] = json.Number(string(rune('0' + (g+i)%10)))
				want := "Inception Action, Sci-Fi Nolan " + string(f["n"].(json.Number))
				if got, err := r.Render(rec(f)); err != nil || got != want {
					errs <- got
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("wrong text under concurrency: %q", e)
	}
}

func ExampleRenderer_Render() {
	r, _ := New(Options{Template: `{{.title}} ({{.year}}) [{{.genres}}] {{.tagline | default "no tagline"}}`})
	text, _ := r.Render(&salvo.Record{Source: "movies.jsonl", Line: 1, Fields: map[string]any{
		"title": "Up", "year": json.Number("2009"), "genres": []any{"Animation", "Adventure"}, "tagline": nil,
	}})
	fmt.Println(text)
	// Output: Up (2009) [Animation, Adventure] no tagline
}

// A record without a "text" field: the facts (its fields) and the fields
// that likely hold prose, for a program to suggest; no flag names.
func TestNoTextError(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fields  map[string]any
		example []string
	}{
		{map[string]any{"genres": nil, "id": 1, "summary": "", "title": ""}, []string{"title", "summary"}},
		{map[string]any{"Primary Title": "x", "plot": "y", "id": 1, "genre": "z"}, []string{"plot", "genre"}},
	} {
		_, err := r.Render(&salvo.Record{Source: "m.jsonl", Line: 1, Fields: tc.fields})
		var ne *NoTextError
		if !errors.As(err, &ne) || !errors.Is(err, ErrNoTextField) || !slices.Equal(ne.Example, tc.example) || strings.Contains(err.Error(), "--") {
			t.Errorf("fields %v: %v (%+v), want a NoTextError with example %v and no flags", tc.fields, err, ne, tc.example)
		}
	}
	for _, opts := range []Options{{Template: "{{.a"}, {Template: "{{.a}}", Fields: []string{"a"}}} {
		if _, err := New(opts); err == nil || strings.Contains(err.Error(), "--") {
			t.Errorf("New(%+v) = %v: want an error without flags", opts, err)
		}
	}
}
