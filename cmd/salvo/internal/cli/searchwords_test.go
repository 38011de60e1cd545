package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/sqlite"
)

// wordsStore is a store whose words index has due records and cannot be
// written.
type wordsStore struct{ err error }

func (wordsStore) WordsDue(context.Context) (int, error)     { return 7, nil }
func (w wordsStore) IndexWords(context.Context) (int, error) { return 0, w.err }

// The warning of a search by words names what to do for each reason the
// index could not be brought up to date.
func TestIndexWordsWarnings(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&sqlite.NotWritableError{Path: "x.db", Err: sqlite.ErrReadOnlyFS}, "x.db is on a read-only file system: search it by words once where it can be written, before it is mounted read-only"},
		{&sqlite.NotWritableError{Path: "x.db", Err: context.DeadlineExceeded}, "x.db cannot be written (context deadline exceeded): search once as a user who can write it"},
	} {
		var stderr bytes.Buffer
		got := indexWords(context.Background(), wordsStore{c.err}, "x.db", Stdio{Err: &stderr})
		if !strings.HasPrefix(got, "the words of 7 records stored since the last search by words are not searched: ") || !strings.Contains(got, c.want) {
			t.Errorf("indexWords with %v = %q; want it to say %q", c.err, got, c.want)
		}
	}
}
