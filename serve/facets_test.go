package serve_test

import (
	"bufio"
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// movie is what the tests read of the sample catalog.
type movie struct {
	ID     int
	Title  string
	Year   int
	Genres []string
}

func movies(t *testing.T) map[string]movie {
	t.Helper()
	f, err := os.Open("../examples/movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]movie{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m movie
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out[strconv.Itoa(m.ID)] = m
	}
	return out
}

type facetsBody struct {
	Fields []struct {
		Name     string
		Kind     string
		Values   []string
		Counts   []int
		Min, Max *float64
		Points   []json.RawMessage
	}
}

// /api/facets sums up each kept field over the map's records: title has
// too many values for choices, year is a range, genres are choices with
// their counts, and every point's values come in the map's order.
func TestFacets(t *testing.T) {
	hs, _ := fixture(t)
	cat := movies(t)
	var m struct{ Points []struct{ ID string } }
	get(t, hs.URL+"/api/map?collection=movies", 200, &m)
	var f facetsBody
	get(t, hs.URL+"/api/facets?collection=movies", 200, &f)
	if len(f.Fields) != 3 || f.Fields[0].Name != "title" || f.Fields[1].Name != "year" || f.Fields[2].Name != "genres" {
		t.Fatalf("fields %+v", f.Fields)
	}
	title, year, genres := f.Fields[0], f.Fields[1], f.Fields[2]
	if title.Kind != "text" || len(title.Points) != 0 {
		t.Errorf("title: kind %q with %d points, want text", title.Kind, len(title.Points))
	}
	lo, hi, count := 1e9, -1e9, map[string]int{}
	for _, mv := range cat {
		lo, hi = min(lo, float64(mv.Year)), max(hi, float64(mv.Year))
		for _, g := range mv.Genres {
			count[g]++
		}
	}
	if year.Kind != "range" || year.Min == nil || *year.Min != lo || *year.Max != hi {
		t.Errorf("year: %s %v–%v, want range %v–%v", year.Kind, year.Min, year.Max, lo, hi)
	}
	if genres.Kind != "choice" || len(genres.Values) != len(count) {
		t.Fatalf("genres: %s with %d values, want choice of %d", genres.Kind, len(genres.Values), len(count))
	}
	for i, g := range genres.Values {
		if genres.Counts[i] != count[g] || (i > 0 && genres.Counts[i] > genres.Counts[i-1]) {
			t.Errorf("genres: %s counted %d, want %d, most frequent first", g, genres.Counts[i], count[g])
		}
	}
	if len(m.Points) != 300 || len(year.Points) != 300 || len(genres.Points) != 300 {
		t.Fatalf("%d map points, %d year points, %d genres points; want 300", len(m.Points), len(year.Points), len(genres.Points))
	}
	for i, p := range m.Points {
		mv := cat[p.ID]
		var y float64
		var gs []int
		json.Unmarshal(year.Points[i], &y)
		json.Unmarshal(genres.Points[i], &gs)
		var names []string
		for _, ix := range gs {
			names = append(names, genres.Values[ix])
		}
		if y != float64(mv.Year) || !slices.Equal(names, mv.Genres) {
			t.Errorf("point %d (%s): year %v genres %v, want %d %v", i, p.ID, y, names, mv.Year, mv.Genres)
		}
	}
	var e struct{ Error string }
	get(t, hs.URL+"/api/facets?collection=nope", 404, &e)
	if e.Error == "" {
		t.Error("/api/facets of an unknown collection: no error")
	}
}

// /api/matches gives the map's points that pass the where parameters, as
// /api/search filters; a bad one is 400 with the kept fields.
func TestMatches(t *testing.T) {
	hs, _ := fixture(t)
	cat := movies(t)
	var m struct{ Points []struct{ ID string } }
	get(t, hs.URL+"/api/map?collection=movies", 200, &m)
	var got struct{ Matches []int }
	get(t, hs.URL+"/api/matches?collection=movies&where="+url.QueryEscape(`genres in ("Sci-Fi", Western)`)+"&where="+url.QueryEscape("year >= 2000"), 200, &got)
	var want []int
	for i, p := range m.Points {
		mv := cat[p.ID]
		if (slices.Contains(mv.Genres, "Sci-Fi") || slices.Contains(mv.Genres, "Western")) && mv.Year >= 2000 {
			want = append(want, i)
		}
	}
	if len(want) == 0 || !slices.Equal(got.Matches, want) {
		t.Errorf("matches %v, want %v", got.Matches, want)
	}
	var e struct{ Error string }
	get(t, hs.URL+"/api/matches?collection=movies&where="+url.QueryEscape("rating > 3"), 400, &e)
	if !strings.Contains(e.Error, "the kept fields are title, year, genres") {
		t.Errorf("a bad where: %q", e.Error)
	}
}
