package search_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/salvoembed/salvo/search"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Star Wars: Episode IV": {"star", "wars", "episode", "iv"},
		"  Amélie ":             {"amélie"},
		"R2-D2, 1977!":          {"r2", "d2", "1977"},
		"!!":                    nil,
		"":                      nil,
	} {
		if got := search.Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	if a, b := search.Normal("Star Wars: Episode IV"), search.Normal("star wars episode iv"); a != b {
		t.Errorf("Normal differs: %q, %q", a, b)
	}
}

// FuzzWords: words are lower case, hold no separator, and Normal is
// stable (the words of the normal form are the same words).
func FuzzWords(f *testing.F) {
	for _, s := range []string{"Star Wars: Episode IV", "Amélie", "R2-D2", "\xff\x00", "ǅ", "İstanbul", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws := search.Words(s)
		for _, w := range ws {
			if w == "" || strings.IndexFunc(w, func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
			}) >= 0 {
				t.Fatalf("Words(%q) holds %q", s, w)
			}
		}
		n := search.Normal(s)
		if search.Normal(n) != n || !slices.Equal(search.Words(n), ws) {
			t.Fatalf("Normal(%q) = %q is not stable: words %q then %q", s, n, ws, search.Words(n))
		}
	})
}
