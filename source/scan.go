package source

import (
	"encoding/binary"
	"unicode/utf8"
)

// scanner reads JSON text with the grammar of RFC 8259, which is what
// encoding/json accepts. Its methods skip leading white space.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat skips white space and then c if it comes next.
func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plain marks the bytes that stand for themselves inside a string and need
// no further look: printable ASCII other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string and returns its raw contents, without the quotes, and
// whether they must go through encoding/json to be decoded: when they hold
// escapes or bytes that are not valid UTF-8 (encoding/json replaces those
// with U+FFFD).
func (s *scanner) str() (raw []byte, slow, ok bool) {
	start, escaped, ascii, ok := s.scanString()
	if !ok {
		return nil, false, false
	}
	raw = s.b[start : s.i-1]
	return raw, escaped || !ascii && !utf8.Valid(raw), true
}

// skipString reads a string without looking into it further.
func (s *scanner) skipString() bool {
	_, _, _, ok := s.scanString()
	return ok
}

// scanString reads a string, checking its escapes. It returns where the
// contents start, whether they hold escapes and whether they are all ASCII.
func (s *scanner) scanString() (start int, escaped, ascii, ok bool) {
	if !s.eat('"') {
		return 0, false, false, false
	}
	b := s.b
	start, ascii = s.i, true
	for i := s.i; ; {
		i = skipPlain(b, i)
		if i >= len(b) {
			return 0, false, false, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return start, escaped, ascii, true
		case c == '\\':
			escaped = true
			if i = escape(b, i); i < 0 {
				return 0, false, false, false
			}
		case c < 0x20:
			return 0, false, false, false
		default: // not ASCII: any byte is accepted
			ascii = false
			i++
		}
	}
}

// skipPlain returns the index of the first byte from b[i] on that is not
// plain, eight bytes at a time while it can: strings are most of a record.
func skipPlain(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		e := x ^ (ones * '\\')
		// High bits of: bytes below 0x20, zero bytes of q and e (quotes
		// and backslashes), and bytes of 0x80 or more.
		if ((x-ones*0x20)&^x|(q-ones)&^q|(e-ones)&^e|x)&highs != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// escape checks the escape sequence at b[i] (a backslash) and returns the
// index after it, or -1.
func escape(b []byte, i int) int {
	if i+1 >= len(b) {
		return -1
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if i+6 > len(b) {
			return -1
		}
		for _, h := range b[i+2 : i+6] {
			if !isHex(h) {
				return -1
			}
		}
		return i + 6
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// skip reads any value without keeping it, checking its syntax.
func (s *scanner) skip(depth int) bool {
	if depth > maxProjectDepth {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		return s.skipString()
	case '{':
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if !s.skipString() || !s.eat(':') || !s.skip(depth+1) {
				return false
			}
			if s.eat(',') {
				continue
			}
			return s.eat('}')
		}
	case '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(',') {
				continue
			}
			return s.eat(']')
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

func (s *scanner) literal(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; what
// follows is checked by the caller, as a comma or a closing bracket.
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
