package source

import "encoding/json"

// projector decodes only some top-level keys of JSON objects, for
// [Options.Fields]. A record of a movie catalog is mostly text that the
// template never prints (descriptions, torrents, image URLs); building maps
// and strings for it costs more than everything else salvo does per record
// on a re-run.
//
// The other keys are kept with a nil value, so that a record's key set stays
// complete (the renderer lists it when a record has no "text" field), and
// their values are checked for syntax as encoding/json would check them.
type projector struct {
	want  map[string]bool
	keys  map[string]key // keys seen: they repeat from record to record
	width int            // keys in the last object, to size the next map
}

// key is an interned key string, and whether it is wanted at the top level.
type key struct {
	name string
	want bool
}

// maxInterned bounds the key table against files whose keys never repeat.
const maxInterned = 4096

// maxProjectDepth bounds nesting; a deeper object goes to encoding/json,
// whose own limit is far higher.
const maxProjectDepth = 512

// newProjector returns nil when fields is nil: every key is decoded.
func newProjector(fields []string, idField string) *projector {
	if fields == nil {
		return nil
	}
	p := &projector{want: map[string]bool{idField: true}, keys: map[string]key{}}
	for _, f := range fields {
		p.want[f] = true
	}
	return p
}

// decode returns the fields of the JSON object in b: the wanted keys decoded
// as encoding/json with UseNumber decodes them, the others nil. ok is false
// when b is not exactly one valid JSON object, or one this decoder leaves to
// encoding/json (nested too deeply); the caller then decodes b with
// encoding/json, which gives the authoritative result or error.
func (p *projector) decode(b []byte) (fields map[string]any, ok bool) {
	s := scanner{b: b}
	if !s.eat('{') {
		return nil, false
	}
	fields = make(map[string]any, p.width)
	if !s.eat('}') {
		for {
			k, want, ok := s.key(p)
			if !ok {
				return nil, false
			}
			var v any
			if want {
				v, ok = s.value(p, 1)
			} else {
				ok = s.skip(1)
			}
			if !ok {
				return nil, false
			}
			fields[k] = v
			if s.eat(',') {
				continue
			}
			if !s.eat('}') {
				return nil, false
			}
			break
		}
	}
	if !blank(b[s.i:]) {
		return nil, false
	}
	p.width = len(fields)
	return fields, true
}

// project keeps the wanted keys of fields decoded by encoding/json and sets
// the others to nil, so that both ways of decoding give the same record.
func (p *projector) project(fields map[string]any) {
	for k := range fields {
		if !p.want[k] {
			fields[k] = nil
		}
	}
}

// keep returns v for a wanted field and nil for another; a nil projector
// wants every field.
func (p *projector) keep(k string, v any) any {
	if p == nil || p.want[k] {
		return v
	}
	return nil
}

// intern returns the key whose string is raw, allocating only for a key
// not seen before.
func (p *projector) intern(raw []byte) key {
	if k, ok := p.keys[string(raw)]; ok {
		return k
	}
	name := string(raw)
	k := key{name, p.want[name]}
	if len(p.keys) < maxInterned {
		p.keys[name] = k
	}
	return k
}

// text reads a string value.
func (s *scanner) text() (string, bool) {
	start := s.i
	raw, slow, ok := s.str()
	switch {
	case !ok:
		return "", false
	case slow:
		return unquote(s.b[start:s.i])
	}
	return string(raw), true
}

// key reads an object key and the colon after it, and says whether the
// key is wanted at the top level.
func (s *scanner) key(p *projector) (name string, want, ok bool) {
	start := s.i
	raw, slow, ok := s.str()
	if !ok {
		return "", false, false
	}
	if slow {
		if name, ok = unquote(s.b[start:s.i]); !ok {
			return "", false, false
		}
		want = p.want[name]
	} else {
		k := p.intern(raw)
		name, want = k.name, k.want
	}
	return name, want, s.eat(':')
}

// unquote decodes a JSON string with escapes or bad UTF-8 exactly as
// encoding/json does.
func unquote(quoted []byte) (string, bool) {
	var v string
	err := json.Unmarshal(quoted, &v)
	return v, err == nil
}

// value reads any value as encoding/json with UseNumber decodes it into an
// interface{}.
func (s *scanner) value(p *projector, depth int) (any, bool) {
	if depth > maxProjectDepth {
		return nil, false
	}
	s.ws()
	if s.i >= len(s.b) {
		return nil, false
	}
	switch s.b[s.i] {
	case '"':
		return s.text()
	case '{':
		s.i++
		m := map[string]any{}
		if s.eat('}') {
			return m, true
		}
		for {
			k, _, ok := s.key(p)
			if !ok {
				return nil, false
			}
			v, ok := s.value(p, depth+1)
			if !ok {
				return nil, false
			}
			m[k] = v
			if s.eat(',') {
				continue
			}
			return m, s.eat('}')
		}
	case '[':
		s.i++
		l := []any{}
		if s.eat(']') {
			return l, true
		}
		for {
			v, ok := s.value(p, depth+1)
			if !ok {
				return nil, false
			}
			l = append(l, v)
			if s.eat(',') {
				continue
			}
			return l, s.eat(']')
		}
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return nil, s.literal("null")
	}
	start := s.i
	if !s.number() {
		return nil, false
	}
	return json.Number(s.b[start:s.i]), true
}
