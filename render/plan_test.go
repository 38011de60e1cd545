package render

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// withoutPlan is New(opts) with text/template alone.
func withoutPlan(t *testing.T, opts Options) *Renderer {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.plan = nil
	return r
}

// checkPlan renders fields with r's plan and with slow, the same renderer
// without it, and fails unless both give the same text or the same error.
func checkPlan(t *testing.T, r, slow *Renderer, fields map[string]any) {
	t.Helper()
	rec := &salvo.Record{ID: "7", Source: "p.jsonl", Line: 3, Fields: fields}
	got, gotErr := r.Render(rec)
	want, wantErr := slow.Render(rec)
	if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("template %q on %v: plan gives %q, %v; text/template %q, %v", r.tmplText, fields, got, gotErr, want, wantErr)
	}
}

func decodeFields(s string) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var fields map[string]any
	if dec.Decode(&fields) != nil {
		return nil, false
	}
	return fields, true
}

var planRecords = []string{
	`{"title":"Up & <Away>","year":2009,"genres":["Animation",null,1.5,true],"summary":"A house flies."}`,
	`{"title":null,"genres":[],"summary":"  "}`,
	`{"genres":"not a list","year":{"b":[1,{"c":null}]},"rating":false}`,
	`{"genres":[["a"],{"k":"v"}],"title":"\u0000\u2028\ud800"}`,
	`{}`, `null`,
}

func TestPlanAgreesWithTextTemplate(t *testing.T) {
	for _, c := range []struct {
		tmpl string
		plan bool
	}{
		{`{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`, true},
		{`{{.genres | join " / "}}{{- .title -}}  x {{join ", " .genres}}{{join .title .year}}`, true},
		{`{{join "a" "b"}}{{.year}}{{/* a comment */}}`, true},
		{"no actions at all", true},
		{`{{.a.b}}`, false},
		{`{{.}}`, false},
		{`{{"constant"}}`, false},
		{`{{upper .title}}`, false},
		{`{{if .title}}{{.title}}{{end}}`, false},
		{`{{$x := .title}}{{$x}}`, false},
		{`{{.title | join ", " | upper}}`, false},
		{`{{define "t"}}{{.x}}{{end}}{{.title}}`, false},
		{`{{join .genres}}`, false},
	} {
		opts := Options{Template: c.tmpl, Prefix: "doc: "}
		r, err := New(opts)
		if err != nil {
			// Some of these fail at execution only; parsing must succeed.
			t.Fatalf("New(%q): %v", c.tmpl, err)
		}
		if (r.plan != nil) != c.plan {
			t.Errorf("template %q: plan %v, want %v", c.tmpl, r.plan != nil, c.plan)
		}
		for _, s := range planRecords {
			fields, ok := decodeFields(s)
			if !ok {
				t.Fatalf("bad record %s", s)
			}
			checkPlan(t, r, withoutPlan(t, opts), fields)
		}
	}
}

// FuzzPlan: for any template that has a plan and any record, the plan
// prints what text/template prints, and fails where it fails.
func FuzzPlan(f *testing.F) {
	for _, s := range planRecords {
		f.Add(`{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}`, s)
	}
	f.Add(`{{.genres | join .title}}`, `{"genres":["a","b"],"title":", "}`)
	f.Add(`{{join .title .genres}}`, `{"genres":"x","title":["a"]}`)
	f.Fuzz(func(t *testing.T, tmpl, record string) {
		r, err := New(Options{Template: tmpl})
		if err != nil || r.plan == nil {
			return
		}
		fields, ok := decodeFields(record)
		if !ok {
			return
		}
		checkPlan(t, r, withoutPlan(t, Options{Template: tmpl}), fields)
	})
}
