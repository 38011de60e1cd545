package jsonscan

import (
	"bytes"
	"encoding/binary"
)

// skipString passes over the string at s.b[s.i] (its opening quote),
// checking it as [Scanner.Quoted] does but without telling whether it is
// plain, which is most of the work of a reader skipping values. A string
// without escapes ends at the next quote: two fast searches and a look for
// control characters eight bytes at a time.
func (s *Scanner) skipString() bool {
	start := s.i + 1
	end := bytes.IndexByte(s.b[start:], '"')
	if end < 0 {
		return false
	}
	c := s.b[start : start+end]
	if bytes.IndexByte(c, '\\') >= 0 {
		_, _, ok := s.Quoted()
		return ok
	}
	if control(c) {
		return false
	}
	s.i = start + end + 1
	return true
}

// control reports whether b holds a byte below 0x20, which a JSON string
// may not hold as it stands.
func control(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-ones*0x20)&^x&highs != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return true
		}
	}
	return false
}
