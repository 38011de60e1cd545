package render

import (
	"strings"
	"testing"
	"text/template"
)

// A "{{" closed by one brace, or not at all, is reported as such, with the
// fix; a name without its dot gets the dot.
func TestTemplateErrorTexts(t *testing.T) {
	cases := []struct{ tmpl, want string }{
		{"{{.title} ({{.year}})", "invalid template: line 1, column 1: the `{{` of `{{.title}` has no matching `}}`: write `{{.title}}`"},
		{"{{.title}} ({{.year})", "invalid template: line 1, column 13: the `{{` of `{{.year}` has no matching `}}`: write `{{.year}}`"},
		{"{{.title}}\n  {{.year", "invalid template: line 2, column 3: the `{{` of `{{.year` has no matching `}}`: write `{{.year}}`"},
		{`{{printf "%s}" .title} x`, "invalid template: line 1, column 1: the `{{` of `{{printf \"%s}\" .title}` has no matching `}}`: write `{{printf \"%s}\" .title}}`"},
		{"{{.a_very_long_field_name_for_this | default \"none at all\"} rest", "invalid template: line 1, column 1: the `{{` of `{{.a_very_long_field_name_for_…` has no matching `}}`: close the action with `}}`"},
		{"{{title}}", `invalid template: line 1: function "title" not defined; a field is written with a dot: {{.title}}; the functions are join, lower, upper, trim, default and Go's template builtins`},
		{"{{ title | upper }}: {{.x}}", `invalid template: line 1: function "title" not defined; a field is written with a dot: {{.title}}; the functions are join, lower, upper, trim, default and Go's template builtins`},
	}
	for _, tc := range cases {
		_, err := New(Options{Template: tc.tmpl})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.tmpl, err, tc.want)
		}
	}
}

func FuzzUnclosedAction(f *testing.F) {
	for _, s := range []string{"{{.title} ({{.year}})", "{{.a}}", "{{\"}\"}}", "{{'}'}}", "{{`}`}}", "{{/* } */}}", "{{.a", "{{- .a -}}}", "{{\"a\\\"}\"}}", "{{/*", "{{`", "x}}{{y}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		at, action, ok := unclosedAction(text)
		if !ok {
			return
		}
		if !strings.HasPrefix(text[at:], "{{") || !strings.HasPrefix(text[at:], action) {
			t.Fatalf("%q: unclosed action %q at %d", text, action, at)
		}
		if _, err := template.New("t").Funcs(funcs).Parse(text); err == nil {
			t.Fatalf("%q parses, but %q at %d is taken for an unclosed action", text, action, at)
		}
		if msg := unclosedMessage(text, at, action); !strings.Contains(msg, "has no matching `}}`") {
			t.Fatalf("message %q", msg)
		}
	})
}
