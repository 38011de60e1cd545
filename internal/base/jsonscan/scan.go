// Package jsonscan reads JSON without reflection where salvo spends its
// time: the vectors of server answers (packages ollama and openai) and the
// few fields a template uses out of each record (package source).
//
// A [Scanner] checks the grammar of RFC 8259, as encoding/json does, and
// accepts only documents encoding/json accepts too. It decodes only the easy
// cases itself; when a method returns false the caller decodes the whole
// document again with encoding/json, which then gives the authoritative
// result or error. The fuzz tests of this package and of its callers hold
// the two ways equal.
//
// Start with [NewScanner].
package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/salvoembed/salvo/internal/base/jsonstr"
)

// Scanner reads one JSON document held in memory. Its methods skip leading
// white space themselves.
type Scanner struct {
	b []byte
	i int
}

// NewScanner returns a Scanner at the start of b.
func NewScanner(b []byte) *Scanner { return &Scanner{b: b} }

// MaxDepth bounds nesting in [Scanner.Skip]; deeper documents are left to
// encoding/json, whose own limit is far higher.
const MaxDepth = 512

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

// Unread skips whitespace and returns the rest of the document, a view
// into it, for a caller that reads the next value itself; it then moves
// past what it read with [Scanner.Advance].
func (s *Scanner) Unread() []byte {
	s.ws()
	return s.b[s.i:]
}

// Advance moves n bytes on, past a value read from [Scanner.Unread]; n must
// be at most the length Unread returned.
func (s *Scanner) Advance(n int) {
	if n < 0 || n > len(s.b)-s.i {
		panic("jsonscan: Advance past the end of the document")
	}
	s.i += n
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
	q, plain, ok := s.Quoted()
	if !ok || !plain {
		return nil, false
	}
	return q[1 : len(q)-1], true
}

// Plain reports whether the contents of a JSON string (without its quotes),
// one a reader already checked, are its value as they stand: no escapes and
// valid UTF-8, as [Scanner.Quoted] says of the strings it reads.
func Plain(contents []byte) bool {
	return bytes.IndexByte(contents, '\\') < 0 && utf8.Valid(contents)
}

// Quoted reads a string and returns it with its quotes, a view into the
// document, and whether its contents are its value as they stand: no
// escapes and valid UTF-8. A string that is not plain decodes as the
// caller expects only through encoding/json (escapes; U+FFFD for each bad
// byte).
func (s *Scanner) Quoted() (quoted []byte, plain, ok bool) {
	if !s.Consume('"') {
		return nil, false, false
	}
	b := s.b
	start, escaped, ascii := s.i, false, true
	for i := s.i; ; {
		i = jsonstr.PlainRun(b, i)
		if i >= len(b) {
			return nil, false, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			q := b[start-1 : s.i]
			return q, !escaped && (ascii || utf8.Valid(q)), true
		case c == '\\':
			escaped = true
			if i = escape(b, i); i < 0 {
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default: // not ASCII: any byte is accepted
			ascii = false
			i++
		}
	}
}

// Unquote decodes a string read by [Scanner.Quoted] that is not plain,
// exactly as encoding/json does (escapes; U+FFFD for each bad byte).
func Unquote(quoted []byte) (string, bool) {
	var v string
	err := json.Unmarshal(quoted, &v)
	return v, err == nil
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
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return -1
			}
		}
		return i + 6
	}
	return -1
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

// Object reads an object, calling member after each key to read its
// value; it stops at the first false. The key is decoded as encoding/json
// decodes keys before it matches them to fields (escapes, U+FFFD for bad
// UTF-8); it is a view into the document unless it had to be decoded.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if !s.Consume('{') {
		return false
	}
	if s.Consume('}') {
		return true
	}
	for {
		q, plain, ok := s.Quoted()
		if !ok || !s.Consume(':') {
			return false
		}
		key := q[1 : len(q)-1]
		if !plain {
			k, ok := Unquote(q)
			if !ok {
				return false
			}
			key = []byte(k)
		}
		if !member(key) {
			return false
		}
		more, ok := s.Next('}')
		if !ok || !more {
			return ok
		}
	}
}

// Array reads an array, calling elem to read each element; it stops at the
// first false.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.Consume('[') {
		return false
	}
	if s.Consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		more, ok := s.Next(']')
		if !ok || !more {
			return ok
		}
	}
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

// Number reads a number and returns its text, a view into the document.
func (s *Scanner) Number() ([]byte, bool) {
	s.ws()
	start := s.i
	if _, _, ok := s.number(); !ok {
		return nil, false
	}
	return s.b[start:s.i], true
}

// Literal reads w (true, false or null) if it comes next.
func (s *Scanner) Literal(w string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// Skip reads any value, checking its syntax; false for a value nested
// deeper than [MaxDepth].
func (s *Scanner) Skip() bool { return s.skip(0) }

func (s *Scanner) skip(depth int) bool {
	if depth > MaxDepth {
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
			if _, _, ok := s.Quoted(); !ok || !s.Consume(':') || !s.skip(depth+1) {
				return false
			}
			more, ok := s.Next('}')
			if !ok || !more {
				return ok
			}
		}
	case '[':
		return s.Array(func() bool { return s.skip(depth + 1) })
	case 't':
		return s.Literal("true")
	case 'f':
		return s.Literal("false")
	case 'n':
		return s.Literal("null")
	default:
		_, _, ok := s.number()
		return ok
	}
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
