package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// textPieces cuts text at the byte offsets cuts (each piece from a cut to
// the next one's end, overlapping by overlap bytes) into the entries and
// items of record id's pieces; fields go with piece 0.
func textPieces(id, text string, cuts []int, overlap int, fields []byte) ([]salvo.Entry, []salvo.Item) {
	var (
		es    []salvo.Entry
		items []salvo.Item
	)
	for i, start := range cuts {
		end := len(text)
		if i+1 < len(cuts) {
			end = cuts[i+1] + overlap
		}
		e := textEntry(text[start:end], 4)
		es = append(es, e)
		it := salvo.Item{ID: id, Key: e.Key, Chunk: &salvo.Chunk{Index: i, Count: len(cuts), Start: start, End: end}}
		if i == 0 {
			it.Fields = fields
		}
		items = append(items, it)
	}
	return es, items
}

// testTextSearchChunks: the words of a record cut into pieces are those of
// its whole text, whichever Put brought which piece: a word only in the
// last piece finds it, and so does a phrase across two pieces; a record
// stored whole again has only its new words.
func testTextSearchChunks(t *testing.T, s salvo.Store) {
	ts, ok := s.(salvo.TextSearcher)
	if !ok {
		t.Skipf("%T has no salvo.TextSearcher", s)
	}
	if _, ok := s.(salvo.ChunkReader); !ok {
		t.Skipf("%T has no salvo.ChunkReader", s)
	}
	mustOpen(t, s, "c", "m")
	long := "alpha bravo charlie. delta echo foxtrot. golf hotel india. juliet kilo zulu."
	// Record "long" in three pieces, the last one in a Put of its own;
	// record "late" in two, its first piece last.
	es, items := textPieces("long", long, []int{0, 21, 41}, 6, []byte(`{"title":"Quebec"}`))
	mustPut(t, s, "c", es[:2], items[:2])
	mustPut(t, s, "c", es[2:], items[2:])
	es2, items2 := textPieces("late", "mike november oscar. papa romeo sierra.", []int{0, 21}, 0, nil)
	mustPut(t, s, "c", es2[1:], items2[1:])
	mustPut(t, s, "c", append(es2[:1], textEntry("a short one", 4)), append(items2[:1], salvo.Item{ID: "short", Key: textEntry("a short one", 4).Key}))

	for _, tt := range []struct {
		q    salvo.TextQuery
		want []string
	}{
		{salvo.TextQuery{Words: []string{"zulu"}}, []string{"long"}},     // only in the last piece
		{salvo.TextQuery{Words: []string{"delta"}}, []string{"long"}},    // only in the middle one
		{salvo.TextQuery{Words: []string{"quebec"}}, []string{"long"}},   // a kept field
		{salvo.TextQuery{Words: []string{"sierra"}}, []string{"late"}},   // the last piece, Put first
		{salvo.TextQuery{Words: []string{"november"}}, []string{"late"}}, // the first piece, Put last
		{salvo.TextQuery{Words: []string{"india", "juliet"}, Phrase: true}, []string{"long"}},
	} {
		if got := textSearch(t, ts, "c", tt.q, 10); !slices.Equal(got, tt.want) {
			t.Errorf("TextSearch(c, %+v) = %q, want %q", tt.q, got, tt.want)
		}
	}
	// Only the last piece changes: its record's row does not, and its new
	// words are found all the same.
	edited := strings.Replace(long, "zulu", "yankee", 1)
	es3, items3 := textPieces("long", edited, []int{0, 21, 41}, 6, []byte(`{"title":"Quebec"}`))
	mustPut(t, s, "c", es3[2:], items3)
	for word, want := range map[string][]string{"yankee": {"long"}, "zulu": nil, "alpha": {"long"}} {
		if got := textSearch(t, ts, "c", salvo.TextQuery{Words: []string{word}}, 10); !slices.Equal(got, want) {
			t.Errorf("after an edit of the last piece: TextSearch(c, %s) = %q, want %q", word, got, want)
		}
	}
	// Stored whole again: the words of the pieces go.
	e := textEntry("just one line now", 4)
	mustPut(t, s, "c", []salvo.Entry{e}, []salvo.Item{{ID: "long", Key: e.Key}})
	if got := textSearch(t, ts, "c", salvo.TextQuery{Words: []string{"zulu"}}, 10); len(got) != 0 {
		t.Errorf("TextSearch(c, zulu) = %q after long was stored whole without it", got)
	}
	if got := textSearch(t, ts, "c", salvo.TextQuery{Words: []string{"line"}}, 10); !slices.Equal(got, []string{"long"}) {
		t.Errorf("TextSearch(c, line) = %q, want [long]", got)
	}
}
