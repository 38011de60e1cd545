package sqlite

import (
	"bytes"
	"strconv"
	"strings"
	"unsafe"

	"github.com/salvoembed/salvo/internal/base/jsonscan"
)

// Kept values stored once: with the default --keep (the fields the text is
// made of), a long value such as a summary is in the embedded text, which
// the cache holds, and again in the kept fields. Put stores each top-level
// member whose string value the text holds (at least minTextRef bytes) as
// null, and where it goes in items.text_refs: for each, the offset of that
// null in the fields as stored and the value's byte span in the text. Docs
// puts the values back, byte for byte. A member whose value is the whole
// text is fieldtext.go's (text_at), done first. The words index reads the
// fields as stored: the values left out are the text's words, indexed in
// its text column, as keptWords would have left them out anyway.

// textRefsSchema is schema step 10.
const textRefsSchema = `ALTER TABLE items ADD COLUMN text_refs TEXT;`

// minTextRef is the shortest value worth a reference.
const minTextRef = 32

// textRef is one value stored as a reference: the offset of its null in
// the fields as stored, and its span in the text.
type textRef struct{ at, start, end int }

// splitRefs returns fields with each top-level member string value that
// text holds, of minTextRef bytes or more, replaced by null, and the
// references that put them back (encodeRefs); ok is false (fields
// unchanged) when there is none, or when the fields would not come back
// byte for byte.
func splitRefs(fields []byte, text string) (rest []byte, refs string, ok bool) {
	if len(fields) < minTextRef || len(text) < minTextRef {
		return fields, "", false
	}
	type value struct{ off, n, start int }
	var spare [4]value // most records have few long values: no allocation
	found := spare[:0]
	s := jsonscan.NewScanner(fields)
	whole := s.Object(func([]byte) bool {
		if s.Peek() != '"' {
			return s.Skip()
		}
		q, plain, ok := s.Quoted()
		if !ok {
			return false
		}
		v := q[1 : len(q)-1]
		if !plain || len(v) < minTextRef || len(v) > len(text) {
			return true
		}
		if i := strings.Index(text, bytesString(v)); i >= 0 {
			found = append(found, value{off: cap(fields) - cap(q), n: len(q), start: i})
		}
		return true
	}) && s.End()
	if !whole || len(found) == 0 {
		return fields, "", false
	}
	out := make([]byte, 0, len(fields))
	var spareRefs [4]textRef
	list := spareRefs[:0]
	prev := 0
	for _, v := range found {
		out = append(out, fields[prev:v.off]...)
		list = append(list, textRef{at: len(out), start: v.start, end: v.start + v.n - 2})
		out = append(out, "null"...)
		prev = v.off + v.n
	}
	out = append(out, fields[prev:]...)
	if !joinsBack(out, list, text, fields) {
		return fields, "", false
	}
	return out, encodeRefs(list), true
}

// bytesString is b as a string without a copy, for a search that returns
// before b can change (the fields are not written while splitRefs runs).
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// joinsBack says whether joinRefs would give fields back from stored, the
// references list and text, byte for byte, without building them.
func joinsBack(stored []byte, list []textRef, text string, fields []byte) bool {
	prev, pos := 0, 0 // in stored, in fields
	for _, r := range list {
		if r.at < prev || r.at+4 > len(stored) || string(stored[r.at:r.at+4]) != "null" ||
			r.start < 0 || r.start > r.end || r.end > len(text) {
			return false
		}
		seg := stored[prev:r.at]
		if !bytes.HasPrefix(fields[pos:], seg) {
			return false
		}
		pos += len(seg)
		v := text[r.start:r.end]
		if len(fields)-pos < len(v)+2 || fields[pos] != '"' || string(fields[pos+1:pos+1+len(v)]) != v ||
			fields[pos+1+len(v)] != '"' {
			return false
		}
		pos += len(v) + 2
		prev = r.at + 4
	}
	return string(stored[prev:]) == string(fields[pos:])
}

// joinRefs undoes splitRefs: the fields as stored, their references and
// the text.
func joinRefs(stored []byte, refs, text string) ([]byte, bool) {
	list, ok := parseRefs(refs)
	if !ok {
		return stored, false
	}
	out := make([]byte, 0, len(stored)+len(text))
	prev := 0
	for _, r := range list {
		if r.at < prev || r.at+4 > len(stored) || string(stored[r.at:r.at+4]) != "null" ||
			r.start < 0 || r.start > r.end || r.end > len(text) {
			return stored, false
		}
		out = append(out, stored[prev:r.at]...)
		out = append(append(append(out, '"'), text[r.start:r.end]...), '"')
		prev = r.at + 4
	}
	return append(out, stored[prev:]...), true
}

// encodeRefs writes references as "at start end" triples, a space apart.
func encodeRefs(list []textRef) string {
	var spare [64]byte
	b := spare[:0]
	for i, r := range list {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(r.at), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.start), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.end), 10)
	}
	return string(b)
}

// parseRefs reads what encodeRefs wrote.
func parseRefs(s string) ([]textRef, bool) {
	f := strings.Fields(s)
	if len(f) == 0 || len(f)%3 != 0 {
		return nil, false
	}
	list := make([]textRef, 0, len(f)/3)
	for i := 0; i < len(f); i += 3 {
		var n [3]int
		for j := range n {
			v, err := strconv.Atoi(f[i+j])
			if err != nil || v < 0 {
				return nil, false
			}
			n[j] = v
		}
		list = append(list, textRef{at: n[0], start: n[1], end: n[2]})
	}
	return list, true
}
