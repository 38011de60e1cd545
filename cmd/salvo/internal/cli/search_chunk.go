package cli

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/salvoembed/salvo/search"
	"github.com/spf13/pflag"
)

// registerPieces adds --per-record to search and similar.
func (f *findFlags) registerPieces(fs *pflag.FlagSet) {
	fs.BoolVar(&f.perRecord, "per-record", true, "list each record once, by its best piece (records embedded in pieces, see embed --chunk); false: list the pieces")
}

// passageChars is how much of a matching piece the table shows.
const passageChars = 200

// printPassage writes, under a result from a piece of a long record, which
// piece matched and the start of its text.
func printPassage(w io.Writer, r search.Result) {
	if r.Chunk == nil {
		return
	}
	text := r.Chunk.Text
	if utf8.RuneCountInString(text) > passageChars {
		n := 0
		for i := range text {
			if n == passageChars {
				text = text[:i] + "…"
				break
			}
			n++
		}
	}
	fmt.Fprintf(w, "      piece %d, bytes %d–%d: %s\n", r.Chunk.Index, r.Chunk.Start, r.Chunk.End, cell(text))
}
