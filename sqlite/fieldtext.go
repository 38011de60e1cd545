package sqlite

import (
	"bytes"
	"encoding/json"
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

// appendJSONString appends s as a JSON string the way salvo embed writes
// kept fields (encoding/json with HTML escaping off, through jsonstr), so
// that a text is found in the fields it was written into.
func appendJSONString(b []byte, s string) []byte {
	out, _ := jsonstr.AppendValue(b, s)
	return out
}
