package moviegen

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	imdbRE    = regexp.MustCompile(`^tt\d{7}$`)
	slugRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*-\d{4}(-2)?$`)
	ratingRE  = regexp.MustCompile(`^\d\.\d$`)
	trailerRE = regexp.MustCompile(`^([A-Za-z0-9_-]{11})?$`)
	hashRE    = regexp.MustCompile(`^[0-9A-F]{40}$`)
	dateRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
)

// kind names the JSON type a field must have.
type kind int

const (
	kString kind = iota
	kInt
	kNumber
	kStrings
	kObjects
)

func checkKind(v any, k kind) bool {
	switch k {
	case kString:
		_, ok := v.(string)
		return ok
	case kInt, kNumber:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if k == kInt {
			_, err := n.Int64()
			return err == nil
		}
		_, err := n.Float64()
		return err == nil
	case kStrings:
		a, ok := v.([]any)
		for _, e := range a {
			if _, isStr := e.(string); !isStr {
				return false
			}
		}
		return ok
	case kObjects:
		a, ok := v.([]any)
		for _, e := range a {
			if _, isObj := e.(map[string]any); !isObj {
				return false
			}
		}
		return ok
	}
	return false
}

func decodeLine(t *testing.T, line []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decoding %s: %v", line, err)
	}
	return m
}

func TestShape(t *testing.T) {
	movieFields := map[string]kind{
		"id": kInt, "url": kString, "imdb_code": kString, "title": kString,
		"title_english": kString, "title_long": kString, "slug": kString,
		"year": kInt, "rating": kNumber, "runtime": kInt, "genres": kStrings,
		"summary": kString, "description_full": kString, "synopsis": kString,
		"yt_trailer_code": kString, "language": kString, "mpa_rating": kString,
		"torrents": kObjects, "date_uploaded": kString, "date_uploaded_unix": kInt,
	}
	torrentFields := map[string]kind{
		"url": kString, "hash": kString, "quality": kString, "type": kString,
		"size": kString, "size_bytes": kInt, "seeds": kInt, "peers": kInt,
	}
	const n = 1000
	lines := bytes.Split(bytes.TrimSuffix(generate(t, 1, n), []byte("\n")), []byte("\n"))
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	for k, line := range lines {
		m := decodeLine(t, line)
		if len(m) != len(movieFields) {
			t.Errorf("record %d has %d fields, want %d", k+1, len(m), len(movieFields))
		}
		for f, want := range movieFields {
			if !checkKind(m[f], want) {
				t.Fatalf("record %d: field %q = %#v has the wrong JSON type", k+1, f, m[f])
			}
		}
		if id, _ := m["id"].(json.Number).Int64(); id != int64(k+1) {
			t.Errorf("record %d has id %d", k+1, id)
		}
		year := m["year"].(json.Number).String()
		title := m["title"].(string)
		checks := []struct {
			name string
			ok   bool
		}{
			{"imdb_code", imdbRE.MatchString(m["imdb_code"].(string))},
			{"slug", slugRE.MatchString(m["slug"].(string))},
			{"rating spelled with one decimal", ratingRE.MatchString(m["rating"].(json.Number).String())},
			{"title_long", m["title_long"] == title+" ("+year+")"},
			{"title_english", m["title_english"] == title},
			{"url", m["url"] == "https://yts.example/movies/"+m["slug"].(string)},
			{"yt_trailer_code", trailerRE.MatchString(m["yt_trailer_code"].(string))},
			{"date_uploaded", dateRE.MatchString(m["date_uploaded"].(string))},
			{"summary words", between(len(strings.Fields(m["summary"].(string))), minWords, maxWords)},
			{"genres", validGenres(m["genres"].([]any))},
			{"mpa_rating", slices.Contains(append([]string{""}, mpaRatings...), m["mpa_rating"].(string))},
			{"torrents count", between(len(m["torrents"].([]any)), 1, 2)},
		}
		for _, c := range checks {
			if !c.ok {
				t.Fatalf("record %d: bad %s: %s", k+1, c.name, line)
			}
		}
		for _, tor := range m["torrents"].([]any) {
			tor := tor.(map[string]any)
			for f, want := range torrentFields {
				if !checkKind(tor[f], want) {
					t.Fatalf("record %d: torrent field %q = %#v has the wrong JSON type", k+1, f, tor[f])
				}
			}
			if !hashRE.MatchString(tor["hash"].(string)) || !slices.Contains([]string{"720p", "1080p"}, tor["quality"].(string)) ||
				!slices.Contains([]string{"web", "bluray"}, tor["type"].(string)) {
				t.Fatalf("record %d: bad torrent %v", k+1, tor)
			}
		}
	}
}

func between(n, lo, hi int) bool { return lo <= n && n <= hi }

func validGenres(a []any) bool {
	if !between(len(a), 1, 3) {
		return false
	}
	last := -1
	for _, g := range a {
		k := slices.Index(Genres, g.(string))
		if k <= last { // unknown, repeated or out of YTS's order
			return false
		}
		last = k
	}
	return true
}

func TestFields(t *testing.T) {
	g := New(9)
	for range 50 {
		m := g.Next()
		f := m.Fields()
		want := decodeLine(t, m.AppendJSON(nil))
		if !reflect.DeepEqual(f, want) {
			t.Fatalf("record %d: Fields() = %v, want %v", m.ID, f, want)
		}
		if r := f["rating"].(json.Number).String(); !ratingRE.MatchString(r) {
			t.Fatalf("record %d: rating spelled %q", m.ID, r)
		}
	}
}
