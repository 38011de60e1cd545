package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/salvoembed/salvo"
)

// Cond is one filter on a kept field, parsed from an expression such as
//
//	year >= 2000
//	genres ~ sci            (case-insensitive substring; any element of a list)
//	title = "The Matrix"
//	genres in (Drama, "Sci-Fi")
//
// Operators: = != < <= > >= on numbers (when both sides are numbers) and
// strings, ~ for a case-insensitive substring, and in (a, b, …). A value
// is a number, a quoted string ("…" or '…', with \" or \' inside) or a
// bare word, taken up to the end (or, in a list, to the next comma) with
// its outer spaces trimmed. On a list field a condition holds when it
// holds for any element, except !=, which must hold for every
// element. A missing or null field satisfies only !=.
type Cond struct {
	Field  string
	Op     string   // "=", "!=", "<", "<=", ">", ">=", "~" or "in"
	Values []string // one, or the list of in
}

// ErrBadWhere is wrapped by the errors of ParseWhere and of Where for a
// field the collection does not keep.
var ErrBadWhere = errors.New("bad filter")

// WhereError is an expression that does not parse: Pos is the byte offset
// where it goes wrong.
type WhereError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *WhereError) Error() string {
	return fmt.Sprintf("filter %q: %s at byte %d", e.Expr, e.Msg, e.Pos)
}

func (e *WhereError) Unwrap() error { return ErrBadWhere }

// FieldError is a filter on a field the collection does not keep.
type FieldError struct {
	Field string
	Kept  []string // the fields the collection keeps; empty when none
}

func (e *FieldError) Error() string {
	if len(e.Kept) == 0 {
		return fmt.Sprintf("filter on %q: the collection keeps no fields to filter on", e.Field)
	}
	return fmt.Sprintf("filter on %q: not a kept field; the kept fields are %s", e.Field, strings.Join(e.Kept, ", "))
}

func (e *FieldError) Unwrap() error { return ErrBadWhere }

// ParseWhere parses one filter expression.
func ParseWhere(expr string) (Cond, error) {
	p := &whereParser{s: expr}
	fail := func(msg string) (Cond, error) { return Cond{}, &WhereError{Expr: expr, Pos: p.i, Msg: msg} }
	p.space()
	field, ok := p.field()
	if !ok {
		return fail("want a field name first, e.g. year >= 2000")
	}
	p.space()
	var c Cond
	c.Field = field
	switch {
	case p.word("in"):
		c.Op = "in"
		p.space()
		if !p.take("(") {
			return fail(`want "(" after in, e.g. genres in (Drama, Comedy)`)
		}
		for {
			v, err := p.value(",)")
			if err != "" {
				return fail(err)
			}
			c.Values = append(c.Values, v)
			if p.take(")") {
				break
			}
			if !p.take(",") {
				return fail(`want "," or ")" in the list of in`)
			}
		}
		p.space()
		if p.i < len(p.s) {
			return fail("unexpected text after the list of in")
		}
		return c, nil
	default:
		for _, op := range []string{"!=", "<=", ">=", "=", "<", ">", "~"} {
			if p.take(op) {
				c.Op = op
				break
			}
		}
		if c.Op == "" {
			return fail("want an operator: = != < <= > >= ~ or in")
		}
	}
	v, err := p.value("")
	if err != "" {
		return fail(err)
	}
	if p.space(); p.i < len(p.s) {
		return fail("unexpected text after the value (quote a value that holds quotes)")
	}
	c.Values = []string{v}
	return c, nil
}

// String writes c back as an expression that ParseWhere reads as c.
func (c Cond) String() string {
	field := c.Field
	if !isBareField(field) {
		field = quote(field)
	}
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = quote(v)
	}
	if c.Op == "in" {
		return field + " in (" + strings.Join(vals, ", ") + ")"
	}
	return field + " " + c.Op + " " + strings.Join(vals, "")
}

// quote writes s in double quotes, with \ before " and \.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

type whereParser struct {
	s string
	i int
}

func (p *whereParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *whereParser) take(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

// word takes the keyword w when a space or "(" follows it.
func (p *whereParser) word(w string) bool {
	rest := p.s[p.i:]
	if len(rest) > len(w) && strings.EqualFold(rest[:len(w)], w) && (rest[len(w)] == ' ' || rest[len(w)] == '(') {
		p.i += len(w)
		return true
	}
	return false
}

func isFieldRune(r rune) bool {
	return r == '_' || r == '.' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isBareField(s string) bool {
	if s == "" || strings.EqualFold(s, "in") {
		return false
	}
	for _, r := range s {
		if !isFieldRune(r) {
			return false
		}
	}
	return true
}

// field reads a bare field name or a quoted one.
func (p *whereParser) field() (string, bool) {
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'') {
		s, ok := p.quoted()
		return s, ok && s != ""
	}
	start := p.i
	for p.i < len(p.s) {
		r, size := utf8.DecodeRuneInString(p.s[p.i:])
		if r == utf8.RuneError || !isFieldRune(r) {
			break
		}
		p.i += size
	}
	return p.s[start:p.i], p.i > start
}

// quoted reads a string in "…" or '…'; a backslash escapes the next byte.
func (p *whereParser) quoted() (string, bool) {
	q := p.s[p.i]
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '\\' && j+1 < len(p.s):
			j++
			b.WriteByte(p.s[j])
		case c == q:
			p.i = j + 1
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// value reads a quoted value, or a bare one up to the end or to one of
// the bytes in stops, trimmed.
func (p *whereParser) value(stops string) (string, string) {
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'') {
		v, ok := p.quoted()
		if !ok {
			return "", "unterminated quoted value"
		}
		p.space()
		return v, ""
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(stops, rune(p.s[p.i])) {
		p.i++
	}
	v := strings.TrimSpace(p.s[start:p.i])
	if v == "" {
		return "", `want a value (quote an empty one: "")`
	}
	if strings.ContainsRune("=<>!~", rune(v[0])) {
		p.i = start
		return "", "a second operator: write one, and quote a value that starts with " + v[:1]
	}
	return v, ""
}

// Where is a set of conditions that must all hold, checked against the
// fields a collection keeps.
type Where []Cond

// ParseWheres parses each expression and checks that it names a field of
// keep (a collection's Keep: "a,b", "*" for every field, "" for none).
func ParseWheres(exprs []string, keep string) (Where, error) {
	var w Where
	for _, e := range exprs {
		c, err := ParseWhere(e)
		if err != nil {
			return nil, err
		}
		if keep != "*" {
			kept := []string{}
			if keep != "" {
				kept = strings.Split(keep, ",")
			}
			found := false
			for _, k := range kept {
				found = found || k == c.Field
			}
			if !found {
				return nil, &FieldError{Field: c.Field, Kept: kept}
			}
		}
		w = append(w, c)
	}
	return w, nil
}

// Conds returns w as the store's contract writes filters, for a store
// that filters itself ([salvo.FilterSearcher]).
func (w Where) Conds() []salvo.Cond {
	out := make([]salvo.Cond, len(w))
	for i, c := range w {
		out[i] = salvo.Cond(c)
	}
	return out
}

// Match says whether a record whose kept fields are the JSON object fields
// satisfies every condition.
func (w Where) Match(fields map[string]any) bool {
	for _, c := range w {
		if !c.match(fields[c.Field]) {
			return false
		}
	}
	return true
}

// DecodeFields decodes a record's kept fields for Match (numbers as
// json.Number).
func DecodeFields(raw []byte) map[string]any {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if len(raw) == 0 || dec.Decode(&m) != nil {
		return nil
	}
	return m
}

func (c Cond) match(v any) bool {
	if list, ok := v.([]any); ok {
		if c.Op == "!=" {
			for _, e := range list {
				if !c.matchOne(e) {
					return false
				}
			}
			return true
		}
		for _, e := range list {
			if c.matchOne(e) {
				return true
			}
		}
		return false
	}
	return c.matchOne(v)
}

// matchOne checks one scalar value.
func (c Cond) matchOne(v any) bool {
	var s string
	switch x := v.(type) {
	case nil:
		return c.Op == "!="
	case string:
		s = x
	case json.Number:
		s = x.String()
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default: // an object, or a list inside a list
		b, _ := json.Marshal(x)
		s = string(b)
	}
	switch c.Op {
	case "~":
		return strings.Contains(strings.ToLower(s), strings.ToLower(c.Values[0]))
	case "in":
		for _, want := range c.Values {
			if compare(s, want) == 0 {
				return true
			}
		}
		return false
	}
	d := compare(s, c.Values[0])
	switch c.Op {
	case "=":
		return d == 0
	case "!=":
		return d != 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	}
	return false
}

// compare compares a and b as numbers when both are, else as strings.
func compare(a, b string) int {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}
