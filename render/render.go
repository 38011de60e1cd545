// Package render builds the text that is embedded for each record: a Go
// text/template over the record's fields, a list of fields, or the record's
// "text" field.
//
// Start with [New] and call [Renderer.Render] for every record:
//
//	r, err := render.New(render.Options{Template: `{{.title}} ({{.year}}): {{.summary}}`})
//	if err != nil { ... }
//	text, err := r.Render(rec)
//
// Values print the way a person reads them, and the same way in templates
// and field lists: a missing or null field prints as nothing (never
// "<no value>"), numbers exactly as the source spelled them ("6.10" stays
// "6.10"), arrays of scalars as "Action, Drama" (nulls left out), objects
// and other arrays as compact JSON with sorted keys, booleans as true or
// false.
//
// Templates reach keys that are not Go identifiers with index, as in
// {{index . "Major Genre"}}, and nested values with dots ({{.director.name}}
// prints nothing when director is null or missing). Besides Go's builtins
// they can call:
//
//	join LIST SEP       the elements of LIST separated by SEP; also LIST | join SEP
//	lower X, upper X    X in lower or upper case
//	trim X              X without surrounding white space
//	default FALLBACK X  X, or FALLBACK when X is missing, null or blank:
//	                    {{.tagline | default "no tagline"}}
//
// The builtins index, len, print, printf and println are replaced by
// versions that take a missing or null value as nothing (len 0) instead of
// failing the record or printing "<nil>".
//
// [Renderer.Fields] names the fields the texts are made of, so that a
// reader can leave the others undecoded.
//
// A Renderer is safe for concurrent use.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/salvoembed/salvo"
)

// ErrEmptyText is wrapped by the error for a record whose text is empty or
// only white space: there is nothing to embed.
var ErrEmptyText = errors.New("empty text")

// ErrNoTextField is wrapped by the error for a record that has no "text"
// field when neither a template nor fields were given: a *NoTextError, which
// lists the record's fields.
var ErrNoTextField = errors.New(`no "text" field`)

// ErrTemplateAndFields is the error of New given both a template and a list
// of fields.
var ErrTemplateAndFields = errors.New("choose one way to build the text: a template or a list of fields, not both")

// NoTextError is a record without the DefaultField, when neither a template
// nor fields were given. It wraps ErrNoTextField.
type NoTextError struct {
	Fields  []string // the record's fields, sorted; at most 30, then "…"
	Example []string // one or two of them that likely hold prose, to embed instead
}

func (e *NoTextError) Error() string {
	return fmt.Sprintf("record has no %q field (fields: %s)", DefaultField, strings.Join(e.Fields, ", "))
}

func (e *NoTextError) Unwrap() error { return ErrNoTextField }

// TemplateError is a template that does not parse.
type TemplateError struct {
	Msg string // what is wrong, with its line, and how to write it
}

func (e *TemplateError) Error() string { return "invalid template: " + e.Msg }

// DefaultField is the field embedded when neither a template nor fields are
// given.
const DefaultField = "text"

// Options says how to build a record's text. The zero value embeds the
// field "text".
type Options struct {
	// Template is a Go text/template executed over the record's fields,
	// e.g. "{{.title}} ({{.year}}): {{.summary}}".
	Template string
	// Fields renders "a: <a>\nb: <b>" for each named field in order.
	Fields []string
	// Prefix is put before every text, e.g. "search_document: " for models
	// trained with task prefixes.
	Prefix string
}

// Renderer turns records into texts.
type Renderer struct {
	prefix string
	tmpl   *template.Template // nil unless a template is used
	plan   plan               // the template run without text/template, if it can be
	fields []string           // the fields listed, or DefaultField alone
	label  bool               // fields are printed "name: value"
	desc   string
	bufs   sync.Pool // *bytes.Buffer

	fieldNames []string // what Fields returns, unless allFields
	allFields  bool
	tmplText   string   // the template as given
	braces     []string // single-brace references in the template's text
}

// New checks opts and prepares a Renderer.
func New(opts Options) (*Renderer, error) {
	r := &Renderer{prefix: opts.Prefix}
	switch {
	case opts.Template != "" && len(opts.Fields) > 0:
		return nil, ErrTemplateAndFields
	case opts.Template != "":
		t, names, all, err := parseTemplate(opts.Template)
		if err != nil {
			return nil, err
		}
		r.tmpl, r.fieldNames, r.allFields = t, names, all
		r.plan = newPlan(t)
		r.desc, r.tmplText = opts.Template, opts.Template
		r.braces = singleBraces(t)
	case len(opts.Fields) > 0:
		for i, f := range opts.Fields {
			if strings.TrimSpace(f) == "" {
				return nil, fmt.Errorf("field %d of the field list %q is empty", i+1, strings.Join(opts.Fields, ","))
			}
		}
		r.fields = slices.Clone(opts.Fields)
		r.label = true
		r.desc = "fields:" + strings.Join(opts.Fields, ",")
	default:
		r.fields = []string{DefaultField}
		r.desc = "field:" + DefaultField
	}
	if r.tmpl == nil {
		r.fieldNames = slices.Compact(slices.Sorted(slices.Values(r.fields)))
	}
	if r.prefix != "" {
		r.desc = "prefix:" + strconv.Quote(r.prefix) + " " + r.desc
	}
	return r, nil
}

// Describe returns what the texts are made of, for a collection to remember:
// the template text, "fields:a,b,c" or "field:text", after
// `prefix:"..." ` when there is a prefix.
func (r *Renderer) Describe() string { return r.desc }

// buffer returns an empty buffer to render a text in; release gives it
// back.
func (r *Renderer) buffer() *bytes.Buffer {
	buf, _ := r.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		return new(bytes.Buffer)
	}
	buf.Reset()
	return buf
}

// release keeps buf for another text, unless it grew large.
func (r *Renderer) release(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		r.bufs.Put(buf)
	}
}

// writeLabelled writes a --fields text: a line "name: value" per field,
// the value written by value, which may refuse it (ok false, and the text
// is not done). empty says whether every value was white space.
func (r *Renderer) writeLabelled(buf *bytes.Buffer, value func(field string) bool) (empty, ok bool) {
	empty = true
	for i, f := range r.fields {
		if i > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteString(f)
		buf.WriteString(": ")
		n := buf.Len()
		if !value(f) {
			return false, false
		}
		empty = empty && isSpace(buf.Bytes()[n:])
	}
	return empty, true
}

// Render returns the text of rec. Errors begin with the record's file:line;
// one for an empty text wraps [ErrEmptyText].
func (r *Renderer) Render(rec *salvo.Record) (string, error) {
	buf := r.buffer()
	defer r.release(buf)
	buf.WriteString(r.prefix)
	var empty bool
	switch {
	case r.plan != nil:
		r.plan.execute(buf, rec.Fields)
		empty = isSpace(buf.Bytes()[len(r.prefix):])
	case r.tmpl != nil:
		if err := r.tmpl.Execute(buf, rec.Fields); err != nil {
			return "", fmt.Errorf("%s: %w", where(rec), err)
		}
		empty = isSpace(buf.Bytes()[len(r.prefix):])
	case r.label:
		empty, _ = r.writeLabelled(buf, func(f string) bool { writeValue(buf, rec.Fields[f]); return true })
	default:
		v, ok := rec.Fields[DefaultField]
		if !ok {
			return "", fmt.Errorf("%s: %w", where(rec), noTextField(rec.Fields))
		}
		writeValue(buf, v)
		empty = isSpace(buf.Bytes()[len(r.prefix):])
	}
	if empty {
		return "", fmt.Errorf("%s: %w: %s", where(rec), ErrEmptyText, r.emptyHint())
	}
	return buf.String(), nil
}

func (r *Renderer) emptyHint() string {
	switch {
	case r.tmpl != nil:
		return "the template printed nothing for this record (are the fields it names present?)"
	case r.label:
		return "all of the fields " + strings.Join(r.fields, ", ") + " are missing, null or empty"
	}
	return `the "text" field is null or empty`
}

// where names a record for an error: file:line, plus the ID when it says
// something more.
func where(rec *salvo.Record) string {
	w := rec.Where()
	if rec.ID != "" && rec.ID != w {
		w += " (id " + rec.ID + ")"
	}
	return w
}

// noTextField lists the record's fields, and picks the example of what to
// embed instead.
func noTextField(fields map[string]any) *NoTextError {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	ex := exampleFields(names)
	list := names
	if len(list) > 30 {
		list = append(list[:30:30], "…")
	}
	return &NoTextError{Fields: list, Example: ex}
}

// exampleFields picks up to two fields that likely hold prose.
func exampleFields(names []string) []string {
	var ex []string
	for _, want := range []string{"title", "name", "summary", "description", "overview", "plot", "description_full", "synopsis"} {
		if len(ex) < 2 && slices.Contains(names, want) && isIdent(want) {
			ex = append(ex, want)
		}
	}
	for _, n := range names {
		if len(ex) < 2 && isIdent(n) && n != "id" && !slices.Contains(ex, n) {
			ex = append(ex, n)
		}
	}
	if len(ex) == 0 {
		ex = []string{"title", "summary"}
	}
	return ex
}

func isIdent(s string) bool {
	for i, c := range s {
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && (i == 0 || !(c >= '0' && c <= '9')) {
			return false
		}
	}
	return s != ""
}

func isSpace(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }
