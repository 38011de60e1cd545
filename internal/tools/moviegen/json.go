package moviegen

import (
	"bytes"
	"encoding/json"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
	"strconv"
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
		b = jsonstr.AppendString(b, g)
	}
	b = append(b, ']')
	// The three texts are usually one string; escape it once.
	b = append(b, `,"summary":`...)
	start := len(b)
	b = jsonstr.AppendString(b, m.Summary)
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
	b = jsonstr.AppendString(b, t.URL)
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
	return jsonstr.AppendString(b, s)
}

func appendRating(b []byte, r Rating) []byte {
	return strconv.AppendFloat(b, float64(r), 'f', 1, 64)
}

// appendField appends `,"key":"value"`; keys are plain ASCII literals.
func appendField(b []byte, key, value string) []byte {
	b = append(b, ",\""...)
	b = append(b, key...)
	b = append(b, "\":"...)
	return jsonstr.AppendString(b, value)
}
