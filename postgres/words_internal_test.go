package postgres

import (
	"strings"
	"testing"
	"unicode"

	"github.com/salvoembed/salvo"
)

// FuzzTSQuery: whatever the words, the query is quoted lexemes of letters
// and digits joined by one operator, so to_tsquery reads no operator or
// quote from the user.
func FuzzTSQuery(f *testing.F) {
	for _, s := range []string{"fox", "'", "a | b", "!x", "x:*", "C.H.U.D.", "\x00", "é", "a <-> b"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, word string, phrase bool) {
		q := tsQuery(salvo.TextQuery{Words: []string{word, "x"}, Phrase: phrase})
		op := " | "
		if phrase {
			op = " <-> "
		}
		for _, part := range strings.Split(q, op) {
			inner, ok := strings.CutPrefix(part, "'")
			inner, ok2 := strings.CutSuffix(inner, "'")
			if !ok || !ok2 || inner == "" || strings.IndexFunc(inner, func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
			}) >= 0 {
				t.Fatalf("tsQuery(%q) = %q: part %q is not a quoted word", word, q, part)
			}
		}
	})
}
