package sqlite

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Each text stored once: a record kept with a field that holds the whole
// embedded text (salvo embed --text '{{.text}}' keeps the field text by
// default) would store the text twice, in the cache and in the item's
// fields. Put stores such fields with null in place of the text's JSON
// string and the byte offset of that null in items.text_at; Docs puts the
// cache's text back, byte for byte. The words index reads the fields as
// stored, so the text's words are indexed once, in its text column.

// textInFieldsSchema is schema step 7.
const textInFieldsSchema = `ALTER TABLE items ADD COLUMN text_at INTEGER;`

// minTextInFields is the shortest text worth taking out of the fields.
const minTextInFields = 32

// splitText returns fields with the JSON string of text, where it is the
// value of a member (`:"…"`), replaced by null, and the offset of that null;
// ok is false (fields unchanged) when fields do not hold the text so, or it
// is too short to matter.
func splitText(fields []byte, text string) (rest []byte, at int, ok bool) {
	if len(fields) < minTextInFields || len(text) < minTextInFields || !utf8.ValidString(text) {
		return fields, 0, false
	}
	enc := appendJSONString(make([]byte, 0, len(text)+16), text)
	i := bytes.Index(fields, append([]byte{':'}, enc...))
	if i < 0 {
		return fields, 0, false
	}
	at = i + 1
	rest = make([]byte, 0, len(fields)-len(enc)+4)
	rest = append(append(append(rest, fields[:at]...), "null"...), fields[at+len(enc):]...)
	// `:"` may also be the end of another string ("a:"), and the match
	// something else: the bytes come back all the same, but the column
	// holds JSON only.
	if !json.Valid(rest) {
		return fields, 0, false
	}
	return rest, at, true
}

// joinText undoes splitText: fields as stored, the offset of the null that
// stands for text, and the text.
func joinText(stored []byte, at int, text string) ([]byte, bool) {
	if at < 0 || at+4 > len(stored) || string(stored[at:at+4]) != "null" {
		return stored, false
	}
	out := make([]byte, 0, len(stored)+len(text)+16)
	out = append(out, stored[:at]...)
	out = appendJSONString(out, text)
	return append(out, stored[at+4:]...), true
}

// appendJSONString appends s, valid UTF-8, as a JSON string the way
// encoding/json writes it with HTML escaping off (salvo embed's kept
// fields): quotes, backslashes and control characters escaped, U+2028 and
// U+2029 as \u escapes, the rest as is. It is salvo's own so that a text
// taken out of the fields always comes back as it was, whatever a later
// encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = strconv.AppendInt(b, int64(r&0xf), 16)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
