package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Mode is how a query ranks the records.
type Mode string

// The modes. [ModeHybrid] is the default of salvo search and serve.
const (
	// ModeVector ranks by the cosine similarity of the query's vector.
	ModeVector Mode = "vector"
	// ModeText ranks by the query's words (the store's full-text index):
	// records that hold the query whole as a kept field's value or as
	// their text first, then those that hold it as a phrase, then the
	// rest by BM25 (ts_rank_cd on PostgreSQL). No request is sent.
	ModeText Mode = "text"
	// ModeHybrid fuses both rankings by reciprocal rank fusion, the text
	// ranking weighted by how decisive it is, and an exact match first.
	ModeHybrid Mode = "hybrid"
)

// Modes lists the modes, the default first.
var Modes = []Mode{ModeHybrid, ModeVector, ModeText}

// ErrBadMode is wrapped by ParseMode's error (a *ModeError).
var ErrBadMode = errors.New("unknown search mode")

// ErrTextUnsupported is wrapped by the error of a search by words on a
// store without a full-text index (no salvo.TextSearcher).
var ErrTextUnsupported = errors.New("search by words is not supported on this store")

// ModeError is a mode that is not one of [Modes].
type ModeError struct{ Value string }

func (e *ModeError) Error() string {
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return fmt.Sprintf("search mode %q: want one of %s", e.Value, strings.Join(names, ", "))
}

func (e *ModeError) Unwrap() error { return ErrBadMode }

// ParseMode reads a mode's name, case aside; "" is [ModeHybrid].
func ParseMode(s string) (Mode, error) {
	if strings.TrimSpace(s) == "" {
		return ModeHybrid, nil
	}
	for _, m := range Modes {
		if strings.EqualFold(strings.TrimSpace(s), string(m)) {
			return m, nil
		}
	}
	return "", &ModeError{Value: s}
}

// Words cuts text into lower-case words: runs of letters and digits
// (combining marks kept with their letter). Everything else separates
// words, so "Star Wars: Episode IV" is star, wars, episode, iv.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

// Normal is text's words joined by single spaces: two texts with the same
// words in the same order ("Star Wars: Episode IV", "star wars episode
// iv") have the same Normal.
func Normal(text string) string { return strings.Join(Words(text), " ") }

// Match tiers of a record for a query, from its text and kept fields.
const (
	tierWords  = 0 // some of the words
	tierPhrase = 1 // the query's words in order, next to each other
	tierExact  = 2 // a kept field's value, or the text, is the query
)

// tier says how a record holds the query q (its words joined by
// spaces): as a whole kept value or text, as a phrase, or not as such.
func tier(q string, text string, fields map[string]any) int {
	best := tierWords
	see := func(s string) {
		w := Normal(s)
		switch {
		case w == q:
			best = tierExact
		case best < tierPhrase && strings.Contains(" "+w+" ", " "+q+" "):
			best = tierPhrase
		}
	}
	see(text)
	for _, v := range fields {
		if best == tierExact {
			break
		}
		values(v, see)
	}
	return best
}

// values calls see with each string or number of v, a decoded JSON value,
// at any depth.
func values(v any, see func(string)) {
	switch v := v.(type) {
	case string:
		see(v)
	case json.Number:
		see(string(v))
	case float64:
		see(fmt.Sprint(v))
	case []any:
		for _, e := range v {
			values(e, see)
		}
	case map[string]any:
		for _, e := range v {
			values(e, see)
		}
	}
}
