package jsonscan

import (
	"bytes"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Scanner decodes JSON answers without reflection, for the few hot shapes
// (arrays of vectors). It is strict: it accepts only documents that
// encoding/json accepts too, and only the easy ones (no escapes in the
// strings it returns, no nulls where a value is expected). When a method
// returns false the caller must decode the whole document again with
// encoding/json, which then gives the authoritative result or error.
//
// Methods skip leading whitespace themselves.
type Scanner struct {
	b []byte
	i int
}

// NewScanner returns a Scanner at the start of b.
func NewScanner(b []byte) *Scanner { return &Scanner{b: b} }

// maxDepth bounds nesting in Skip; deeper documents go to encoding/json.
const maxDepth = 64

func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Consume skips whitespace and then c if it comes next.
func (s *Scanner) Consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// Peek skips whitespace and returns the next byte, 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// End reports whether only whitespace is left.
func (s *Scanner) End() bool {
	s.ws()
	return s.i == len(s.b)
}

// String reads a string without escapes and returns its bytes, a view into
// the document. A string that is not valid UTF-8 is refused: encoding/json
// would replace the bad bytes.
func (s *Scanner) String() ([]byte, bool) {
	if !s.Consume('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			str := s.b[start : s.i-1]
			return str, ascii || utf8.Valid(str)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return nil, false
}

// Key reads an object key and the colon after it.
func (s *Scanner) Key() ([]byte, bool) {
	k, ok := s.String()
	return k, ok && s.Consume(':')
}

// Next reads what follows a member or element: true with more=true after a
// comma, true with more=false at the closing byte.
func (s *Scanner) Next(closing byte) (more, ok bool) {
	s.ws()
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case ',':
			s.i++
			return true, true
		case closing:
			s.i++
			return false, true
		}
	}
	return false, false
}

// Int reads an integer as encoding/json reads one into an int64.
func (s *Scanner) Int() (int64, bool) {
	s.ws()
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	digits := s.i
	var n uint64
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		n = n*10 + uint64(s.b[s.i]-'0')
		s.i++
	}
	nd := s.i - digits
	switch {
	case nd == 0 || nd > 18 || (nd > 1 && s.b[digits] == '0'):
		return 0, false // none, possibly too big, or a leading zero
	case s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E'):
		return 0, false // a float: encoding/json refuses it for an int
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// Skip reads any value, checking its syntax.
func (s *Scanner) Skip() bool { return s.skip(0) }

func (s *Scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch s.Peek() {
	case '"':
		return s.skipString()
	case '{':
		s.i++
		if s.Consume('}') {
			return true
		}
		for {
			if !s.skipString() || !s.Consume(':') || !s.skip(depth+1) {
				return false
			}
			more, ok := s.Next('}')
			if !ok || !more {
				return ok
			}
		}
	case '[':
		s.i++
		if s.Consume(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			more, ok := s.Next(']')
			if !ok || !more {
				return ok
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		_, _, ok := s.number()
		return ok
	}
}

func (s *Scanner) literal(w string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// skipString reads a string, escapes included, checking them.
func (s *Scanner) skipString() bool {
	if !s.Consume('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !strings.ContainsRune("0123456789abcdefABCDEF", rune(h)) {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

// MatchesFold reports whether key equals one of names only when case is
// ignored. encoding/json would fill that field from such a key; a fast
// decoder must hand the document back to it instead of ignoring the key.
func MatchesFold(key []byte, names ...string) bool {
	k := unsafe.String(unsafe.SliceData(key), len(key))
	for _, n := range names {
		if k != n && strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}
