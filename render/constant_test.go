package render

import (
	"slices"
	"strings"
	"testing"
)

// A template that names no field gives every record the same text: the
// error says so, and turns single braces into the references meant.
func TestConstantText(t *testing.T) {
	cases := []struct{ tmpl, want string }{
		{"{title} ({year})", "`{title}` is not a field reference: write `{{.title}}`, and `{year}`: write `{{.year}}`; as written, the template names no field, so every record gets the same text \"{title} ({year})\""},
		{"{ Major Genre }: {year:04d}", "`{ Major Genre }` is not a field reference: write `{{index . \"Major Genre\"}}`, and `{year:04d}`: write `{{.year}}`; as written, the template names no field, so every record gets the same text \"{ Major Genre }: {year:04d}\""},
		{"just words", "the template names no field, so every record gets the same text \"just words\""},
		{`{{"a constant"}}`, "the template names no field, so every record gets the same text \"a constant\""},
	}
	for _, tc := range cases {
		r, err := New(Options{Template: tc.tmpl, Prefix: "p: "})
		if err != nil {
			t.Fatal(err)
		}
		e := r.ConstantText()
		if e == nil {
			t.Errorf("%q: no error", tc.tmpl)
			continue
		}
		if e.Error() != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.tmpl, e, tc.want)
		}
	}
	for _, opts := range []Options{
		{Template: "{{.title}}"}, {Template: "{title}: {{.summary}}"}, {Template: "{{range .}}{{.}}{{end}}"},
		{Fields: []string{"a"}}, {},
	} {
		r, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		if e := r.ConstantText(); e != nil {
			t.Errorf("%+v: %v, want nil", opts, e)
		}
	}
}

// A sample whose records all got one text: the error names how many, and
// the single braces.
func TestSameText(t *testing.T) {
	r, err := New(Options{Template: "{title} {{.kind}}", Prefix: "doc: "})
	if err != nil {
		t.Fatal(err)
	}
	const want = "`{title}` is not a field reference: write `{{.title}}`; as written, the template gives all 300 records read the same text \"{title} movie\""
	if e := r.SameText("doc: {title} movie", 300); e == nil || e.Error() != want {
		t.Errorf("got %v\nwant %s", e, want)
	}
	if e := r.SameText("x", 1); e != nil {
		t.Errorf("one record: %v, want nil", e)
	}
	f, _ := New(Options{Fields: []string{"kind"}})
	if e := f.SameText("kind: movie", 300); e != nil {
		t.Errorf("a field list: %v, want nil", e)
	}
}

func FuzzBracesIn(f *testing.F) {
	for _, s := range []string{"{title} ({year})", "{{x}}", "{a}}", "{{a}", "{ a:1 }{b!r}", "{\n}", "}{", "{é}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := bracesIn(s)
		at := 0
		for _, b := range got {
			i := strings.Index(s[at:], b)
			if i < 0 {
				t.Fatalf("%q: %q found, but not in order in the text", s, b)
			}
			at += i + len(b)
			if !strings.HasPrefix(b, "{") || !strings.HasSuffix(b, "}") || strings.Count(b, "{") != 1 || strings.Count(b, "}") != 1 {
				t.Fatalf("%q: found %q", s, b)
			}
			fix := braceFix(b)
			if !strings.HasPrefix(fix, "{{") || !strings.HasSuffix(fix, "}}") {
				t.Fatalf("%q: fix %q", b, fix)
			}
			// The fix is a template that names the field.
			r, err := New(Options{Template: fix})
			if err != nil {
				t.Fatalf("%q: fix %q does not parse: %v", b, fix, err)
			}
			if names, _ := r.Fields(); !slices.Contains(names, braceName(b)) {
				t.Fatalf("%q: fix %q reads %v", b, fix, names)
			}
		}
	})
}
