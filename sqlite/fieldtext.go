package sqlite

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/salvoembed/salvo/internal/base/jsonstr"
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
	if len(fields) < minTextInFields || len(text) < minTextInFields || !mayHold(fields, text) {
		return fields, 0, false
	}
	var n int // the length of the text's JSON string at fields[at:]
	if plainASCII(text) {
		at, n = memberValue(fields, text), len(text)+2
	} else {
		if !utf8.ValidString(text) {
			return fields, 0, false
		}
		enc := appendJSONString(make([]byte, 0, len(text)+16), text)
		at, n = bytes.Index(fields, append([]byte{':'}, enc...)), len(enc)
		if at >= 0 {
			at++
		}
	}
	if at < 0 {
		return fields, 0, false
	}
	rest = make([]byte, 0, len(fields)-n+4)
	rest = append(append(append(rest, fields[:at]...), "null"...), fields[at+n:]...)
	// `:"` may also be the end of another string ("a:"), and the match
	// something else: the bytes come back all the same, but the column
	// holds JSON only.
	if !json.Valid(rest) {
		return fields, 0, false
	}
	return rest, at, true
}

// plainASCII says whether JSON writes text as it is, between quotes, and
// in ASCII (so that it needs no check of its UTF-8).
func plainASCII(text string) bool {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// memberValue returns the offset in fields of the first `"text"` that is
// a member's value (after `:`), or -1; text is plainASCII.
func memberValue(fields []byte, text string) int {
	s := bytesString(fields)
	for off := 0; ; {
		j := strings.Index(s[off:], text)
		if j < 0 {
			return -1
		}
		j += off
		if j >= 2 && s[j-2] == ':' && s[j-1] == '"' && j+len(text) < len(s) && s[j+len(text)] == '"' {
			return j - 1
		}
		off = j + 1
	}
}

// mayHold is false when fields cannot hold text as a member's value: the
// first bytes of text that JSON writes as they are, after `:"`, are not
// in fields. It spares encoding the whole text for records that keep
// other fields than the text (most of them).
func mayHold(fields []byte, text string) bool {
	var needle [2 + 16]byte
	n := copy(needle[:], `:"`)
	for i := 0; i < len(text) && n < len(needle); i++ {
		c := text[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			break
		}
		needle[n] = c
		n++
	}
	return bytes.Contains(fields, needle[:n])
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

// appendJSONString appends s as a JSON string the way salvo embed writes
// kept fields (encoding/json with HTML escaping off, through jsonstr), so
// that a text is found in the fields it was written into.
func appendJSONString(b []byte, s string) []byte {
	out, _ := jsonstr.AppendValue(b, s)
	return out
}
