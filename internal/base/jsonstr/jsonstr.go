// Package jsonstr writes JSON strings: the one writer behind every JSON
// text salvo builds by hand (request bodies, exported records, generated
// catalogs). Its output is valid JSON whatever the input: bytes that are not
// UTF-8 become U+FFFD, as with encoding/json.
package jsonstr

import (
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a JSON string. It decodes to what
// encoding/json's encoding of s decodes to: invalid UTF-8 becomes U+FFFD.
// Unlike json.Marshal it leaves <, > and & alone, and it does not allocate
// beyond growing dst.
func AppendString(dst []byte, s string) []byte {
	return appendString(dst, s, false)
}

// appendString is AppendString; with short, \b and \f are written so, as
// encoding/json writes them, instead of \u0008 and \u000c.
func appendString(dst []byte, s string, short bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i = PlainRun(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b', '\f':
				if short {
					e := byte('b')
					if c == '\f' {
						e = 'f'
					}
					dst = append(dst, '\\', e)
					break
				}
				fallthrough
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but some JavaScript-based servers choke on them.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// StringsLen estimates the encoded size of texts as a JSON array, to size a
// request buffer in one allocation.
func StringsLen(texts []string) int {
	n := 2
	for _, t := range texts {
		n += len(t) + len(t)/16 + 3
	}
	return n
}

// PlainRun returns the index of the first byte of b from i on that does
// not stand for itself in a JSON string (below 0x20, '"', '\\', or not
// ASCII), or len(b); it tests eight bytes at a time while it can, since
// strings are most of a record and of a request.
func PlainRun[T ~string | ~[]byte](b T, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
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

// plain marks the bytes that stand for themselves inside a string and need
// no further look: printable ASCII other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
