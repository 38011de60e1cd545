package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

var fuzzTemplates = []string{
	"{{.title}} ({{.year}}): {{.summary}}",
	"{{.a.b.c}}{{.genres}}{{.x}}{{.}}",
	`{{index . "Major Genre"}}{{index .a "b"}}{{index .genres 0}}`,
	"{{range .genres}}{{.}}{{.name}};{{end}}{{with .a}}{{.b}}{{end}}",
	`{{join .genres ", "}} {{.a | default "none"}} {{upper .title}} {{trim .x}} {{len .genres}}`,
	`{{print .a .b}}{{printf "%v %s" .a .b}}{{println .x}}`,
	`{{if .a}}{{.a.b}}{{else}}{{$.title}}{{end}}{{$v := .x}}{{$v}}{{$v.y}}`,
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		`{"title":"Up","year":2009,"summary":null}`,
		`{"a":{"b":null},"genres":["x",null,1.50,{"name":"n"}],"x":true}`,
		`{"a":[],"genres":"notalist","Major Genre":{"k":[1,2]}}`,
		`{"a":{"b":{"c":"<deep>"}},"x":{}}`,
		`{}`,
	} {
		f.Add(s)
	}
	renderers := []*Renderer{}
	for _, tmpl := range fuzzTemplates {
		r, err := New(Options{Template: tmpl})
		if err != nil {
			f.Fatal(err)
		}
		renderers = append(renderers, r)
	}
	for _, opts := range []Options{{Fields: []string{"title", "a", "genres"}}, {}} {
		r, err := New(opts)
		if err != nil {
			f.Fatal(err)
		}
		renderers = append(renderers, r)
	}
	f.Fuzz(func(t *testing.T, input string) {
		dec := json.NewDecoder(strings.NewReader(input))
		dec.UseNumber()
		var fields map[string]any
		if dec.Decode(&fields) != nil || fields == nil {
			return
		}
		// Values may legitimately contain the words; only check when not.
		var all bytes.Buffer
		enc := json.NewEncoder(&all)
		enc.SetEscapeHTML(false)
		enc.Encode(fields)
		check := !strings.Contains(all.String(), "<no value>") && !strings.Contains(all.String(), "<nil>")
		rec := &salvo.Record{ID: "1", Source: "f.jsonl", Line: 1, Fields: fields}
		for i, r := range renderers {
			text, err := r.Render(rec)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "f.jsonl:1") {
					t.Fatalf("renderer %d: error without the record's place: %v", i, err)
				}
				continue
			}
			if strings.TrimSpace(text) == "" {
				t.Fatalf("renderer %d: empty text without ErrEmptyText", i)
			}
			if check && (strings.Contains(text, "<no value>") || strings.Contains(text, "<nil>")) {
				t.Fatalf("renderer %d (%s) printed %q", i, r.Describe(), text)
			}
		}
	})
}
