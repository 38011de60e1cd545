package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/sqlite"
)

// wordsNote is how many records to index before a search by words that
// makes salvo say why the search takes longer (about 35 µs each).
var wordsNote = 5000

// indexWords brings the words index of st up to date before a search by
// words (SQLite indexes words when they are first searched, not when
// salvo embed stores them), saying so when there is much to do. It
// returns a warning when the index cannot be brought up to date: the
// search then ranks by the index as it stands.
func indexWords(ctx context.Context, st any, where string, stdio Stdio) string {
	wi, ok := st.(salvo.WordsIndexer)
	if !ok {
		return ""
	}
	due, err := wi.WordsDue(ctx)
	if err != nil || due == 0 {
		return "" // the search itself says what is wrong
	}
	if due >= wordsNote {
		fmt.Fprintf(stdio.Err, "salvo: indexing the words of %d records stored since the last search by words (once)\n", due)
	}
	if _, err := wi.IndexWords(ctx); err != nil {
		var nw *sqlite.NotWritableError
		if errors.Is(err, sqlite.ErrReadOnlyFS) {
			return fmt.Sprintf("the words of %d records stored since the last search by words are not searched: %s is on a read-only file system: search it by words once where it can be written, before it is mounted read-only, and they are indexed", due, where)
		}
		if errors.As(err, &nw) {
			return fmt.Sprintf("the words of %d records stored since the last search by words are not searched: %s cannot be written (%v): search once as a user who can write it, and they are indexed", due, where, nw.Err)
		}
		return fmt.Sprintf("the words of %d records stored since the last search by words are not searched: %v; the next search by words indexes them", due, err)
	}
	return ""
}
