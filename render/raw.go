package render

import (
	"bytes"

	"github.com/salvoembed/salvo/internal/base/jsonscan"
)

// RendersJSON reports whether [Renderer.RenderJSON] can render records: the
// renderer is a list of fields, the field "text", or a template of text,
// fields and join calls only.
func (r *Renderer) RendersJSON() bool { return r.plan != nil || r.tmpl == nil }

// RenderJSON is [Renderer.Render] for a record whose values are given as
// the JSON text they are written in: field(name) returns the text of the
// value of name, valid JSON as a decoder checked it, or nil when the record
// does not have the field. It is called only for the fields that
// [Renderer.Fields] names.
//
// When ok is true, text is the text Render returns for the record decoded
// (with encoding/json and UseNumber). ok is false where RenderJSON cannot
// tell without the decoded record: a renderer for which RendersJSON is
// false, a value that is not a string, a number, a boolean, null or a list
// of those, a text that Render would refuse. Call Render then.
func (r *Renderer) RenderJSON(field func(name string) []byte) (text string, ok bool) {
	if !r.RendersJSON() {
		return "", false
	}
	buf := r.buffer()
	defer r.release(buf)
	buf.WriteString(r.prefix)
	switch {
	case r.plan != nil:
		for _, s := range r.plan {
			switch {
			case !s.act:
				buf.WriteString(s.text)
			case s.join:
				ok = joinJSON(buf, s.args[0], s.args[1], field)
			default:
				ok = writeJSONText(buf, field(s.args[0].field))
			}
			if !ok {
				return "", false
			}
		}
	case r.label:
		empty, ok := r.writeLabelled(buf, func(f string) bool { return writeJSONText(buf, field(f)) })
		if !ok || empty {
			return "", false
		}
		return buf.String(), true
	default:
		v := field(DefaultField)
		if v == nil || !writeJSONText(buf, v) {
			return "", false
		}
	}
	if isSpace(buf.Bytes()[len(r.prefix):]) {
		return "", false
	}
	return buf.String(), true
}

// isJSONString reports whether an operand is a string, as join tells.
func isJSONString(o operand, field func(string) []byte) bool {
	if o.isStr {
		return true
	}
	v := field(o.field)
	return len(v) > 0 && v[0] == '"'
}

// joinJSON writes join(a, b) for operands given as JSON text; false where
// it needs the decoded values (a separator that is a field).
func joinJSON(b *bytes.Buffer, a, c operand, field func(string) []byte) bool {
	list, sep := a, c
	if !isJSONString(c, field) {
		list, sep = c, a
	}
	if !sep.isStr {
		return false
	}
	if list.isStr {
		b.WriteString(list.str)
		return true
	}
	v := field(list.field)
	if len(v) > 0 && v[0] == '[' {
		return writeJSONList(b, v, sep.str)
	}
	return writeJSONText(b, v)
}

// writeJSONText writes textOf of the value whose JSON text is v (nil: a
// missing field); false for a value that is not a string, number, boolean,
// null or a list of those.
func writeJSONText(b *bytes.Buffer, v []byte) bool {
	if len(v) == 0 {
		return true
	}
	switch v[0] {
	case '"':
		c := v[1 : len(v)-1]
		if !jsonscan.Plain(c) {
			s, ok := jsonscan.Unquote(v) // as encoding/json decodes it
			if !ok {
				return false
			}
			b.WriteString(s)
			return true
		}
		b.Write(c)
	case 'n': // null
	case '[':
		return writeJSONList(b, v, ", ")
	case '{':
		return false
	default: // a number as written, true, false
		b.Write(v)
	}
	return true
}

// writeJSONList writes the elements of a list of scalars that are not null
// separated by sep, as writeValue and join do; false for a list that holds
// a list or an object (those print as JSON).
func writeJSONList(b *bytes.Buffer, v []byte, sep string) bool {
	n := b.Len()
	s := jsonscan.NewScanner(v)
	first := true
	ok := s.Array(func() bool {
		e, ok := s.Value()
		switch {
		case !ok || e[0] == '[' || e[0] == '{':
			return false
		case e[0] == 'n':
			return true
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		return writeJSONText(b, e)
	})
	if !ok {
		b.Truncate(n)
	}
	return ok
}
