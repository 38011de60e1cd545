package render

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSuggest(t *testing.T) {
	names := []string{"Major Genre", "Release Date", "Title", "genres", "id", "summary", "title", "year"}
	for _, tc := range []struct{ field, want string }{
		{"titel", "title"},
		{"Titel", "Title"},
		{"tilte", "title"},
		{"summry", "summary"},
		{"genre", "genres"},
		{"release_date", "Release Date"},
		{"major-genre", "Major Genre"},
		{"yaer", "year"},
		{"rating", ""},
		{"x", ""},
		{"idd", "id"},
	} {
		if got := Suggest(tc.field, names); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.field, got, tc.want)
		}
	}
	if got := Suggest("title", nil); got != "" {
		t.Errorf("Suggest with no names = %q", got)
	}
}

func TestAbsent(t *testing.T) {
	have := []string{"genres", "id", "summary", "title", "year"}
	for _, tc := range []struct {
		name string
		opts Options
		want []string
	}{
		{"template typo", Options{Template: "{{.titel}} ({{.year}})"}, []string{"`titel` is in no record (fields: genres, id, summary, title, year); did you mean `title`?"}},
		{"field list", Options{Fields: []string{"title", "plot"}}, []string{"`plot` is in no record (fields: genres, id, summary, title, year)"}},
		{"key with spaces", Options{Template: `{{index . "Summary "}}`}, []string{"`Summary ` is in no record (fields: genres, id, summary, title, year); did you mean `summary`?"}},
		{"all present", Options{Template: "{{.title}} {{.summary}}"}, nil},
		{"any field", Options{Template: "{{range $k, $v := .}}{{$v}}{{end}}"}, nil},
		{"default text field", Options{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range r.Absent(have) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Absent = %q, want %q", got, tc.want)
			}
		})
	}
	e := &AbsentFieldError{Field: "release", Fields: []string{"Release Date"}, Suggestion: "Release Date", Sampled: 1000}
	if got, want := e.Error(), "`release` is in none of the first 1000 records (fields: Release Date); did you mean `Release Date`? (in a template: {{index . \"Release Date\"}})"; got != want {
		t.Errorf("sampled: %q, want %q", got, want)
	}
}

// Suggest never invents a name, and typos is a distance: zero only for
// equal strings, symmetric, at most the longer length.
func FuzzSuggest(f *testing.F) {
	f.Add("titel", "title")
	f.Add("Release Date", "release_date")
	f.Add("", "ä")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got := Suggest(a, []string{b}); got != "" && got != b {
			t.Fatalf("Suggest(%q, [%q]) = %q", a, b, got)
		}
		d := typos(a, b)
		valid := utf8.ValidString(a) && utf8.ValidString(b) // invalid bytes all read as U+FFFD
		if valid && (d == 0) != (a == b) || d != typos(b, a) || d > max(len([]rune(a)), len([]rune(b))) {
			t.Fatalf("typos(%q, %q) = %d, reversed %d", a, b, d, typos(b, a))
		}
	})
}
