package moviegen

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the record as one compact JSON object, fields in YTS's
// order. It is what [Generate] writes and what [Movie.MarshalJSON] returns;
// it exists because encoding/json through reflection is several times too
// slow to stream a million records in a few seconds.
func (m *Movie) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(m.ID), 10)
	b = appendField(b, "url", m.URL)
	b = appendField(b, "imdb_code", m.IMDBCode)
	b = appendField(b, "title", m.Title)
	b = appendField(b, "title_english", m.TitleEnglish)
	b = appendField(b, "title_long", m.TitleLong)
	b = appendField(b, "slug", m.Slug)
	b = append(b, `,"year":`...)
	b = strconv.AppendInt(b, int64(m.Year), 10)
	b = append(b, `,"rating":`...)
	b = appendRating(b, m.Rating)
	b = append(b, `,"runtime":`...)
	b = strconv.AppendInt(b, int64(m.Runtime), 10)
	b = append(b, `,"genres":[`...)
	for i, g := range m.Genres {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, g)
	}
	b = append(b, ']')
	// The three texts are usually one string; escape it once.
	b = append(b, `,"summary":`...)
	start := len(b)
	b = appendString(b, m.Summary)
	summary := b[start:]
	b = append(b, `,"description_full":`...)
	b = appendSame(b, m.DescriptionFull, m.Summary, summary)
	b = append(b, `,"synopsis":`...)
	b = appendSame(b, m.Synopsis, m.Summary, summary)
	b = appendField(b, "yt_trailer_code", m.YTTrailerCode)
	b = appendField(b, "language", m.Language)
	b = appendField(b, "mpa_rating", m.MPARating)
	b = append(b, `,"torrents":[`...)
	for i := range m.Torrents {
		if i > 0 {
			b = append(b, ',')
		}
		b = m.Torrents[i].appendJSON(b)
	}
	b = append(b, ']')
	b = appendField(b, "date_uploaded", m.DateUploaded)
	b = append(b, `,"date_uploaded_unix":`...)
	b = strconv.AppendInt(b, m.DateUploadedUnix, 10)
	return append(b, '}')
}

// MarshalJSON returns [Movie.AppendJSON]'s encoding.
func (m Movie) MarshalJSON() ([]byte, error) { return m.AppendJSON(nil), nil }

// Fields returns the record the way salvo's readers decode a JSON line into
// salvo.Record.Fields: numbers as json.Number, genres as []any, torrents as
// []any of map[string]any. Tests use it to build records without a file.
func (m *Movie) Fields() map[string]any {
	dec := json.NewDecoder(bytes.NewReader(m.AppendJSON(nil)))
	dec.UseNumber()
	var f map[string]any
	if err := dec.Decode(&f); err != nil {
		panic("moviegen: AppendJSON wrote invalid JSON: " + err.Error())
	}
	return f
}

func (t *Torrent) appendJSON(b []byte) []byte {
	b = append(b, `{"url":`...)
	b = appendString(b, t.URL)
	b = appendField(b, "hash", t.Hash)
	b = appendField(b, "quality", t.Quality)
	b = appendField(b, "type", t.Type)
	b = appendField(b, "size", t.Size)
	b = append(b, `,"size_bytes":`...)
	b = strconv.AppendInt(b, t.SizeBytes, 10)
	b = append(b, `,"seeds":`...)
	b = strconv.AppendInt(b, int64(t.Seeds), 10)
	b = append(b, `,"peers":`...)
	b = strconv.AppendInt(b, int64(t.Peers), 10)
	return append(b, '}')
}

// appendSame appends s, reusing encoded (the encoding of prev) when s is
// the same text.
func appendSame(b []byte, s, prev string, encoded []byte) []byte {
	if s == prev {
		return append(b, encoded...)
	}
	return appendString(b, s)
}

func appendRating(b []byte, r Rating) []byte {
	return strconv.AppendFloat(b, float64(r), 'f', 1, 64)
}

// appendField appends `,"key":"value"`; keys are plain ASCII literals.
func appendField(b []byte, key, value string) []byte {
	b = append(b, ",\""...)
	b = append(b, key...)
	b = append(b, "\":"...)
	return appendString(b, value)
}

// plain marks the ASCII bytes that stand for themselves inside a JSON string.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string. Like encoding/json it replaces
// invalid UTF-8 with U+FFFD and escapes U+2028 and U+2029, which some
// JavaScript parsers take for line ends; unlike it, it leaves <, > and &
// alone, since the output is data, not HTML.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
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
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			default:
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
