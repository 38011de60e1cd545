package source

import (
	"encoding/json"

	"github.com/salvoembed/salvo/internal/base/jsonscan"
)

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

	names []string       // the wanted keys, the ID field first: the slots of values
	slot  map[string]int // wanted key → its index in names
	order []placed       // the keys of the last object read by values, in order
	sc    jsonscan.Scanner
}

// placed is a key at its place in an object, and its slot (-1: not wanted).
type placed struct {
	name string
	slot int
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
const maxProjectDepth = jsonscan.MaxDepth

// newProjector returns nil when fields is nil: every key is decoded.
func newProjector(fields []string, idField string) *projector {
	if fields == nil {
		return nil
	}
	p := &projector{want: map[string]bool{}, keys: map[string]key{}, slot: map[string]int{}}
	for _, f := range append([]string{idField}, fields...) {
		if !p.want[f] {
			p.want[f] = true
			p.slot[f] = len(p.names)
			p.names = append(p.names, f)
		}
	}
	return p
}

// decode returns the fields of the JSON object in b: the wanted keys decoded
// as encoding/json with UseNumber decodes them, the others nil. ok is false
// when b is not exactly one valid JSON object, or one this decoder leaves to
// encoding/json (nested too deeply); the caller then decodes b with
// encoding/json, which gives the authoritative result or error.
func (p *projector) decode(b []byte) (fields map[string]any, ok bool) {
	s := jsonscan.NewScanner(b)
	fields = make(map[string]any, p.width)
	ok = s.Object(func(raw []byte) bool {
		k := p.intern(raw)
		var v any
		ok := true
		if k.want {
			v, ok = value(s, p, 1)
		} else {
			ok = s.Skip()
		}
		fields[k.name] = v
		return ok
	})
	if !ok || !s.End() {
		return nil, false
	}
	p.width = len(fields)
	return fields, true
}

// values sets vals[i] to the text of the value of names[i] in the JSON
// object b, nil for a key b does not have, without decoding any value. It
// returns false where decode does (b is not one valid object, or is nested
// too deeply); vals is then undefined.
func (p *projector) values(b []byte, vals [][]byte) bool {
	clear(vals)
	p.sc = *jsonscan.NewScanner(b)
	s, n := &p.sc, 0
	ok := s.Object(func(raw []byte) bool {
		i := p.slotAt(n, raw)
		n++
		if i < 0 {
			return s.Skip()
		}
		v, ok := s.Value()
		vals[i] = v
		return ok
	})
	return ok && s.End()
}

// slotAt is the slot of the n-th key of an object, raw. Records of a file
// mostly have the same keys in the same order: a key that is the one the
// last object had at its place is found without hashing it.
func (p *projector) slotAt(n int, raw []byte) int {
	if n < len(p.order) && p.order[n].name == string(raw) {
		return p.order[n].slot
	}
	k := p.intern(raw)
	i, ok := p.slot[k.name]
	if !ok {
		i = -1
	}
	switch {
	case n < len(p.order):
		p.order[n] = placed{k.name, i}
	case n == len(p.order) && n < maxInterned:
		p.order = append(p.order, placed{k.name, i})
	}
	return i
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
func text(s *jsonscan.Scanner) (string, bool) {
	q, plain, ok := s.Quoted()
	switch {
	case !ok:
		return "", false
	case !plain:
		return jsonscan.Unquote(q)
	}
	return string(q[1 : len(q)-1]), true
}

// value reads any value as encoding/json with UseNumber decodes it into an
// interface{}.
func value(s *jsonscan.Scanner, p *projector, depth int) (any, bool) {
	if depth > maxProjectDepth {
		return nil, false
	}
	switch s.Peek() {
	case '"':
		return text(s)
	case '{':
		m := map[string]any{}
		return m, s.Object(func(raw []byte) bool {
			v, ok := value(s, p, depth+1)
			m[p.intern(raw).name] = v
			return ok
		})
	case '[':
		l := []any{}
		ok := s.Array(func() bool {
			v, ok := value(s, p, depth+1)
			l = append(l, v)
			return ok
		})
		return l, ok
	case 't':
		return true, s.Literal("true")
	case 'f':
		return false, s.Literal("false")
	case 'n':
		return nil, s.Literal("null")
	}
	n, ok := s.Number()
	if !ok {
		return nil, false
	}
	return json.Number(n), true
}
