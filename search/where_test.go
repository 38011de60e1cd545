package search_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

func TestParseWhere(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want search.Cond
	}{
		{"year >= 2000", search.Cond{Field: "year", Op: ">=", Values: []string{"2000"}}},
		{"year>=2000", search.Cond{Field: "year", Op: ">=", Values: []string{"2000"}}},
		{"  genres ~ sci ", search.Cond{Field: "genres", Op: "~", Values: []string{"sci"}}},
		{"title = The Matrix", search.Cond{Field: "title", Op: "=", Values: []string{"The Matrix"}}},
		{`title != "a \"b\" c"`, search.Cond{Field: "title", Op: "!=", Values: []string{`a "b" c`}}},
		{`title = ''`, search.Cond{Field: "title", Op: "=", Values: []string{""}}},
		{"genres in (Drama, 'Sci-Fi', \"a,b\")", search.Cond{Field: "genres", Op: "in", Values: []string{"Drama", "Sci-Fi", "a,b"}}},
		{"genres IN(x)", search.Cond{Field: "genres", Op: "in", Values: []string{"x"}}},
		{`"release date" < 2001-01-01`, search.Cond{Field: "release date", Op: "<", Values: []string{"2001-01-01"}}},
		{"année <= 3", search.Cond{Field: "année", Op: "<=", Values: []string{"3"}}},
		{"a.b-c_d > -1.5", search.Cond{Field: "a.b-c_d", Op: ">", Values: []string{"-1.5"}}},
	} {
		got, err := search.ParseWhere(tc.expr)
		if err != nil || got.Field != tc.want.Field || got.Op != tc.want.Op || !slices.Equal(got.Values, tc.want.Values) {
			t.Errorf("ParseWhere(%q) = %+v, %v; want %+v", tc.expr, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ expr, msg string }{
		{"", "want a field name"},
		{">= 3", "want a field name"},
		{"year", "want an operator"},
		{"year 2000", "want an operator"},
		{"year >=", "want a value"},
		{"title = 'open", "unterminated"},
		{"genres in Drama", `want "(" after in`},
		{"genres in (a, b", `want "," or ")"`},
		{"genres in (a,)", "want a value"},
		{"genres in (a) x", "unexpected text"},
		{`title = "a" b`, "unexpected text"},
		{"year >>= 3", "a second operator"},
		{"year = =3", "a second operator"},
	} {
		_, err := search.ParseWhere(tc.expr)
		var we *search.WhereError
		if !errors.As(err, &we) || !errors.Is(err, search.ErrBadWhere) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseWhere(%q): %v, want a WhereError with %q", tc.expr, err, tc.msg)
		}
	}
}

func TestWhereMatch(t *testing.T) {
	rec := search.DecodeFields([]byte(`{"title":"The Matrix","year":1999,"genres":["Action","Sci-Fi"],"rating":"8.7","none":null,"ok":true}`))
	for expr, want := range map[string]bool{
		"year = 1999": true, "year != 1999": false, "year < 2000": true, "year > 1999": false, "year >= 1999": true, "year <= 1998": false,
		"year > 999":   true, // as numbers, not as strings
		"rating > 8.5": true, "rating < 10": true,
		"title = The Matrix": true, "title = the matrix": false, "title ~ MATRIX": true, "title ~ x": true, "title ~ heat": false,
		"title < U": true, "title > Z": false,
		"genres ~ sci": true, "genres ~ drama": false, "genres = Action": true, "genres != Action": false, "genres != Drama": true,
		"genres in (Drama, Sci-Fi)": true, "genres in (Drama, Horror)": false, "year in (1998, 1999)": true,
		"none = x": false, "none != x": true, "missing = x": false, "missing != x": true, "missing ~ x": false,
		"ok = true": true, "ok != true": false,
	} {
		c, err := search.ParseWhere(expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		if got := (search.Where{c}).Match(rec); got != want {
			t.Errorf("%q on %v: %v, want %v", expr, rec, got, want)
		}
	}
	w, err := search.ParseWheres([]string{"year > 1990", "genres ~ sci"}, "title,year,genres")
	if err != nil || !w.Match(rec) {
		t.Errorf("two conditions: %v, %v", w, err)
	}
	if w, _ := search.ParseWheres([]string{"year > 1990", "genres ~ drama"}, "*"); w.Match(rec) {
		t.Error("all conditions must hold")
	}
	for keep, want := range map[string]string{
		"title,year,genres": `filter on "rating": not a kept field; the kept fields are title, year, genres`,
		"":                  `filter on "rating": the collection keeps no fields to filter on`,
	} {
		_, err := search.ParseWheres([]string{"rating > 3"}, keep)
		var fe *search.FieldError
		if !errors.As(err, &fe) || err.Error() != want {
			t.Errorf("keep %q: %v, want %q", keep, err, want)
		}
	}
}

// FuzzParseWhere: no expression panics the parser, and what it parses it
// writes back as an expression that parses to the same condition.
func FuzzParseWhere(f *testing.F) {
	for _, s := range []string{"year >= 2000", "genres ~ sci", `title = "a \"b\""`, "genres in (a, 'b', \"c,d\")",
		`"odd name" != ''`, "x<1", "in in (in)", "a = \\", "é ~ ü", "", "(", "a in ()", "a = 'x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := search.ParseWhere(expr)
		if err != nil {
			var we *search.WhereError
			if !errors.As(err, &we) || we.Pos < 0 || we.Pos > len(expr) {
				t.Fatalf("ParseWhere(%q): %v", expr, err)
			}
			return
		}
		back, err := search.ParseWhere(c.String())
		if err != nil || back.Field != c.Field || back.Op != c.Op || !slices.Equal(back.Values, c.Values) {
			t.Fatalf("ParseWhere(%q) = %+v, written %q, read back %+v, %v", expr, c, c.String(), back, err)
		}
		search.Where{c}.Match(map[string]any{c.Field: []any{"x", 1.5, nil}})
	})
}

// Filters apply before ranking: k results come back whenever k records
// match, even when they rank last, with and without the int8 scan.
func TestWhereBeforeRanking(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "/api/embed", Keep: "n,tag"}); err != nil {
		t.Fatal(err)
	}
	const n = 500
	seeds := make([]int, n)
	items := make([]salvo.Item, n)
	for i := range n {
		seeds[i] = i
		tag := "common"
		if i%50 == 0 {
			tag = "rare" // 10 records: 2%
		}
		items[i] = salvo.Item{ID: fmt.Sprint(i), Key: storetest.Key(i), Fields: fmt.Appendf(nil, `{"n":%d,"tag":[%q,"x"]}`, i, tag)}
	}
	entries := storetest.Entries(8, seeds...)
	for i := range entries {
		unit(entries[i].Vector)
	}
	if err := st.Put(ctx, "c", entries, items); err != nil {
		t.Fatal(err)
	}
	for _, quantize := range []bool{false, true} {
		c, err := search.Open(ctx, st, "c", search.Options{Quantize: quantize})
		if err != nil {
			t.Fatal(err)
		}
		w, err := search.ParseWheres([]string{"tag ~ RARE"}, c.Info.Keep)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.SimilarWhere(ctx, "1", 10, w)
		if err != nil || len(res) != 10 {
			t.Fatalf("quantize %v: %d results, %v; want the 10 rare records", quantize, len(res), err)
		}
		for _, r := range res {
			if !strings.Contains(string(r.Fields), "rare") {
				t.Errorf("quantize %v: %s does not match", quantize, r.Fields)
			}
		}
		// Without the filter the rare records are not the top 10.
		all, _ := c.Similar(ctx, "1", 10)
		rare := 0
		for _, r := range all {
			if strings.Contains(string(r.Fields), "rare") {
				rare++
			}
		}
		if rare == 10 {
			t.Errorf("quantize %v: the rare records rank first anyway; the test proves nothing", quantize)
		}
		// The record asked for stays out; a filter that keeps 3 gives 3.
		w, _ = search.ParseWheres([]string{"n in (0, 50, 100, 150)"}, c.Info.Keep)
		res, err = c.SimilarWhere(ctx, "50", 10, w)
		if err != nil || len(res) != 3 || slices.ContainsFunc(res, func(r search.Result) bool { return r.ID == "50" }) {
			t.Errorf("quantize %v: n in (0, 50, 100, 150) like 50: %+v, %v", quantize, res, err)
		}
		q := slices.Clone(c.Index().Vector(3))
		res, err = c.NearestWhere(ctx, q, 5, "", search.Where{{Field: "n", Op: ">=", Values: []string{"495"}}})
		if err != nil || len(res) != 5 {
			t.Errorf("quantize %v: n >= 495: %d results, %v", quantize, len(res), err)
		}
	}
}
