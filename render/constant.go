package render

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// ConstantTextError is a template that gives every record the same text:
// it names no field at all, or every record of a sample got the same text.
// Every vector would be the same, and every search would score the records
// alike. Most often the template was written with single braces, as in
// Python's str.format ("{title} ({year})"), which text/template prints as
// they are.
type ConstantTextError struct {
	Template string
	// Text is the text every record gets (without the prefix).
	Text string
	// Records is how many records of a sample all got Text; 0 when the
	// template names no field, which needs no sample.
	Records int
	// Braces are the single-brace references in the template's text, such
	// as "{title}", in order.
	Braces []string
}

func (e *ConstantTextError) Error() string {
	var b strings.Builder
	for i, s := range e.Braces {
		switch i {
		case 0:
			fmt.Fprintf(&b, "`%s` is not a field reference: write `%s`", s, braceFix(s))
		default:
			fmt.Fprintf(&b, ", and `%s`: write `%s`", s, braceFix(s))
		}
	}
	if b.Len() > 0 {
		b.WriteString("; as written, ")
	}
	if e.Records == 0 {
		fmt.Fprintf(&b, "the template names no field, so every record gets the same text %q", e.Text)
	} else {
		fmt.Fprintf(&b, "the template gives all %d records read the same text %q", e.Records, e.Text)
	}
	return b.String()
}

// braceFix is the template reference that a single-brace one meant.
func braceFix(s string) string {
	name := braceName(s)
	if isIdent(name) {
		return "{{." + name + "}}"
	}
	return "{{index . " + fmt.Sprintf("%q", name) + "}}"
}

// ConstantText returns the error for a template that names no field (and
// reads no part of the record): every record gets the same text. It
// returns nil for any other renderer.
func (r *Renderer) ConstantText() *ConstantTextError {
	if r.tmpl == nil || r.allFields || len(r.fieldNames) > 0 {
		return nil
	}
	var buf bytes.Buffer
	if r.tmpl.Execute(&buf, map[string]any{}) != nil {
		buf.Reset()
	}
	return &ConstantTextError{Template: r.tmplText, Text: buf.String(), Braces: r.braces}
}

// SameText returns the error for a template that gave each of n records
// (n ≥ 2) the same text, or nil when the renderer is not a template: a
// list of fields or the "text" field is the records' own text.
func (r *Renderer) SameText(text string, n int) *ConstantTextError {
	if r.tmpl == nil || n < 2 {
		return nil
	}
	return &ConstantTextError{Template: r.tmplText, Text: strings.TrimPrefix(text, r.prefix), Records: n, Braces: r.braces}
}

// singleBraces finds "{name}" in the text (not the actions) of t's
// templates: a field reference written as Python's str.format writes it.
func singleBraces(t *template.Template) []string {
	var found []string
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.TextNode:
				found = append(found, bracesIn(string(n.Text))...)
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.RangeNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.ListNode:
				walk(n)
			}
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walk(tt.Tree.Root)
		}
	}
	return found
}

// bracesIn finds "{name}", "{ name }" and "{name:fmt}" in s, not part of
// "{{" or "}}".
func bracesIn(s string) []string {
	var found []string
	for i := 0; i < len(s); i++ {
		if s[i] != '{' || i+1 < len(s) && s[i+1] == '{' || i > 0 && s[i-1] == '{' {
			continue
		}
		end := strings.IndexAny(s[i+1:], "{}\n")
		if end < 0 {
			break
		}
		end += i + 1
		if s[end] != '}' || end+1 < len(s) && s[end+1] == '}' {
			continue
		}
		if name := braceName(s[i : end+1]); name != "" && isName(name) {
			found = append(found, s[i:end+1])
		}
		i = end
	}
	return found
}

// braceName is the field a single-brace reference names: "{ title!r }" and
// "{year:04d}" name title and year.
func braceName(s string) string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if i := strings.IndexAny(s, "!:"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// isName reports whether s looks like a field name: letters, digits, and
// _ . - and spaces inside.
func isName(s string) bool {
	for _, c := range s {
		switch {
		case c == '_', c == '.', c == '-', c == ' ', c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c > 0x7f:
		default:
			return false
		}
	}
	return s != ""
}
