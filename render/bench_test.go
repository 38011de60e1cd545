package render

import (
	"encoding/json"
	"testing"

	"github.com/salvoembed/salvo"
)

// ytsRecord is shaped like a movie of the YTS API: some 30 fields, of which
// a template touches a few.
func ytsRecord() *salvo.Record {
	f := map[string]any{
		"id": json.Number("15553"), "url": "https://example.org/movies/inception-2010", "imdb_code": "tt1375666",
		"title": "Inception", "title_english": "Inception", "title_long": "Inception (2010)", "slug": "inception-2010",
		"year": json.Number("2010"), "rating": json.Number("8.8"), "runtime": json.Number("148"),
		"genres":           []any{"Action", "Adventure", "Sci-Fi", "Thriller"},
		"summary":          "Dom Cobb is a skilled thief, the absolute best in the dangerous art of extraction, stealing valuable secrets from deep within the subconscious during the dream state, when the mind is at its most vulnerable.",
		"description_full": "Dom Cobb is a skilled thief, the absolute best in the dangerous art of extraction.",
		"synopsis":         "", "yt_trailer_code": "YoHD9XEInc0", "language": "en", "mpa_rating": "PG-13",
		"background_image": "https://example.org/bg.jpg", "small_cover_image": "https://example.org/s.jpg",
		"medium_cover_image": "https://example.org/m.jpg", "large_cover_image": "https://example.org/l.jpg",
		"state": "ok", "date_uploaded": "2015-11-01 03:31:12", "date_uploaded_unix": json.Number("1446345072"),
		"torrents": []any{
			map[string]any{"quality": "720p", "size": "1.00 GB", "seeds": json.Number("100")},
			map[string]any{"quality": "1080p", "size": "1.85 GB", "seeds": json.Number("200")},
		},
		"tagline": nil,
	}
	return &salvo.Record{ID: "15553", Source: "yts.json", Line: 12, Fields: f}
}

func BenchmarkRender(b *testing.B) {
	cases := []struct {
		name string
		opts Options
	}{
		{"template", Options{Template: "{{.title}} ({{.year}}) [{{.genres}}] rated {{.rating}}: {{.summary}}", Prefix: "search_document: "}},
		{"fields", Options{Fields: []string{"title", "year", "genres", "summary"}}},
		{"default", Options{}},
	}
	rec := ytsRecord()
	rec.Fields["text"] = rec.Fields["summary"]
	for _, c := range cases {
		r, err := New(c.opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The same record given as JSON text, as source.Reader.NextRaw
		// hands it over.
		text, err := json.Marshal(rec.Fields)
		if err != nil {
			b.Fatal(err)
		}
		values, ok := jsonFields(string(text))
		if !ok {
			b.Fatal("bad record")
		}
		field := func(name string) []byte { return values[name] }
		b.Run(c.name+"-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := r.RenderJSON(field); !ok {
					b.Fatal("no text")
				}
			}
		})
	}
}
