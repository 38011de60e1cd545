package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
)

// search's errors state facts and keep their sentinels; they name no flags
// (salvo serve shows them on a page, where there are none).
func TestErrorsStateFacts(t *testing.T) {
	for _, tc := range []struct {
		err  error
		is   error
		want string
	}{
		{&search.UnknownCollectionError{Name: "films", Known: []string{"movies", "books"}}, salvo.ErrNoCollection,
			`collection "films": no such collection: the database has movies, books`},
		{&search.UnknownCollectionError{Name: "films"}, salvo.ErrNoCollection,
			`collection "films": no such collection: the database has no collections yet; run salvo embed first`},
		{&search.EmptyCollectionError{Name: "blank"}, search.ErrEmptyCollection, `collection is empty: "blank" has no vectors yet: embed records into it first`},
		{&search.UnknownIDError{ID: "zz", Collection: "movies"}, search.ErrUnknownID, `no such ID "zz" in collection "movies"`},
		{&search.QueryDimensionError{Model: "m", Got: 384, Collection: "movies", Want: 768}, nil,
			`the server's m answers 384-dimensional vectors, but collection "movies" holds 768: it was embedded with another model or with other dimensions`},
	} {
		if got := tc.err.Error(); got != tc.want || strings.Contains(got, "--") {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if tc.is != nil && !errors.Is(tc.err, tc.is) {
			t.Errorf("%q is not %v", tc.err, tc.is)
		}
	}
}
