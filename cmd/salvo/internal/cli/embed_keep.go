package cli

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/jsonscan"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
)

// keepFields is the list of record fields `embed` keeps with each item:
// --keep when given, else the fields the texts are made of, in the order
// the template or --fields names them. all is true when every field is
// kept (a template that may read any field, or --keep '*').
func keepFields(keep, fields []string, template string, rd *render.Renderer) (names []string, all bool) {
	if len(keep) > 0 {
		if slices.Contains(keep, "*") {
			return nil, true
		}
		return keep, false
	}
	if len(fields) > 0 {
		return fields, false
	}
	names, all = rd.Fields()
	if all {
		return nil, true
	}
	// In the order the template first names them: {{.title}} ({{.year}}).
	slices.SortStableFunc(names, func(a, b string) int {
		return firstUse(template, a) - firstUse(template, b)
	})
	return names, false
}

func firstUse(template, name string) int {
	for _, pat := range []string{"." + name, `"` + name + `"`} {
		if i := strings.Index(template, pat); i >= 0 {
			return i
		}
	}
	return len(template)
}

// keptJSON is the JSON object of rec's fields named in keep (all of them
// with all), in keep's order; nil when there is nothing to keep. Fields
// missing from the record are left out. Values are written as an
// encoding/json Encoder without HTML escaping writes them.
func keptJSON(rec *salvo.Record, keep []string, all bool) []byte {
	if all {
		names := make([]string, 0, len(rec.Fields))
		for k := range rec.Fields {
			names = append(names, k)
		}
		slices.Sort(names)
		keep = names
	}
	if len(keep) == 0 {
		return nil
	}
	size := 2
	for _, name := range keep {
		size += len(name) + 4
		if s, ok := rec.Fields[name].(string); ok {
			size += len(s) + 2
		} else {
			size += 16
		}
	}
	b := append(make([]byte, 0, size), '{')
	for _, name := range keep {
		v, ok := rec.Fields[name]
		if !ok {
			continue
		}
		n := len(b)
		if n > 1 {
			b = append(b, ',')
		}
		b = append(jsonstr.AppendString(b, name), ':')
		if b, ok = jsonstr.AppendValue(b, v); !ok {
			if b, ok = appendEncoded(b, v); !ok {
				b = b[:n] // values come from a decoder, so this does not happen
			}
		}
	}
	return append(b, '}')
}

// keptRaw is keptJSON for a record read as the JSON text of its values,
// which keep must be among. A value's text is copied as it stands when it is
// what keptJSON writes, else decoded and written by keptJSON's rules. ok is
// false with all (every field: those are not read as text).
func keptRaw(rr *source.RawRecord, keep []string, all bool) (_ []byte, ok bool) {
	if all {
		return nil, false
	}
	if len(keep) == 0 {
		return nil, true
	}
	size := 2
	for _, name := range keep {
		if v := rr.Field(name); v != nil {
			size += len(name) + 4 + len(v)
		}
	}
	b := append(make([]byte, 0, size), '{')
	for _, name := range keep {
		v := rr.Field(name)
		if v == nil {
			continue
		}
		n := len(b)
		if n > 1 {
			b = append(b, ',')
		}
		b = append(jsonstr.AppendString(b, name), ':')
		if canonical(v) {
			b = append(b, v...)
			continue
		}
		var val any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if dec.Decode(&val) != nil {
			return nil, false // not reached: the reader checked the value
		}
		if b, ok = jsonstr.AppendValue(b, val); !ok {
			if b, ok = appendEncoded(b, val); !ok {
				return nil, false
			}
		}
	}
	return append(b, '}'), true
}

// canonical reports whether the JSON text v of a value is what
// jsonstr.AppendValue writes for it: no white space, no object (their keys
// are sorted), strings without escapes, of valid UTF-8 without U+2028 and
// U+2029 (which it escapes).
func canonical(v []byte) bool {
	switch v[0] {
	case '{':
		return false
	case '"':
		return plainString(v[1 : len(v)-1])
	case '[':
	default: // a number, true, false, null: written as they stand
		return true
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ' ', '\t', '\n', '\r', '{':
			return false
		case '"':
			j := i + 1 + bytes.IndexByte(v[i+1:], '"') // no escapes before it, or plainString says no
			if j <= i || !plainString(v[i+1:j]) {
				return false
			}
			i = j
		}
	}
	return true
}

// plainString reports whether the contents of a JSON string are written as
// they stand: no escapes, valid UTF-8, no U+2028 or U+2029.
func plainString(c []byte) bool {
	return jsonscan.Plain(c) && !bytes.Contains(c, []byte("\u2028")) && !bytes.Contains(c, []byte("\u2029"))
}

// appendEncoded appends v as encoding/json writes it, for the values
// jsonstr.AppendValue leaves to it.
func appendEncoded(b []byte, v any) ([]byte, bool) {
	var val bytes.Buffer
	enc := json.NewEncoder(&val)
	enc.SetEscapeHTML(false) // titles keep their & and <
	if err := enc.Encode(v); err != nil {
		return b, false
	}
	return append(b, bytes.TrimSuffix(val.Bytes(), []byte("\n"))...), true
}

// keepDescription is Collection.Keep: the names comma-separated, "*" for all.
func keepDescription(names []string, all bool) string {
	if all {
		return "*"
	}
	return strings.Join(names, ",")
}

// keeper says which fields inputs keeps.
type keeper struct {
	names []string
	all   bool
}
