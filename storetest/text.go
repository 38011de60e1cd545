package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// textEntry is a cache entry whose text is given: the key is the text's.
func textEntry(text string, dims int) salvo.Entry {
	return salvo.Entry{Key: salvo.KeySpec{Model: "storetest"}.Key(text), Vector: Vector(len(text), dims), Text: text}
}

// textSearch runs q on coll and returns the IDs found, best first.
func textSearch(t *testing.T, ts salvo.TextSearcher, coll string, q salvo.TextQuery, k int) []string {
	t.Helper()
	hits, err := ts.TextSearch(context.Background(), coll, q, k)
	if err != nil {
		t.Fatalf("TextSearch(%s, %+v, %d): %v", coll, q, k, err)
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("TextSearch(%s, %+v): %q scores %v after %q with %v: want best first", coll, q, h.ID, h.Score, hits[i-1].ID, hits[i-1].Score)
		}
	}
	return ids
}

// testTextSearch checks a TextSearcher (for stores that have one): the
// words of the texts and of the kept fields' values are found, not the
// fields' names; any word, or a phrase; best first; k; the index follows
// each Put (a new text, new fields) and each deletion, and is per
// collection.
func testTextSearch(t *testing.T, s salvo.Store) {
	ts, ok := s.(salvo.TextSearcher)
	if !ok {
		t.Skipf("%T has no salvo.TextSearcher", s)
	}
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	texts := map[string]string{
		"fox":    "The quick red fox jumps over the lazy dog",
		"foxes":  "Fox, fox and fox again: a red fox story",
		"rev":    "A fox that is red, and a dog",
		"heat":   "A crime drama in Los Angeles",
		"nofox":  "Nothing to see here",
		"quote":  `Words with "quotes" and OR and NEAR AND NOT operators*`,
		"fields": "no words of interest",
	}
	fields := map[string]string{
		"heat":   `{"title":"Heat","year":1995,"cast":["Al Pacino","Robert De Niro"]}`,
		"fields": `{"title":"Pandora's Box","director":"G. W. Pabst"}`,
	}
	var (
		entries []salvo.Entry
		items   []salvo.Item
	)
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range texts {
			if !yield(id) {
				return
			}
		}
	}) {
		e := textEntry(texts[id], 3)
		entries = append(entries, e)
		it := salvo.Item{ID: id, Key: e.Key}
		if f, ok := fields[id]; ok {
			it.Fields = []byte(f)
		}
		items = append(items, it)
	}
	mustPut(t, s, "c", entries, items)
	other := textEntry("a red fox in another collection", 3)
	mustPut(t, s, "other", []salvo.Entry{other}, []salvo.Item{{ID: "otherfox", Key: other.Key}})

	words := func(s string) salvo.TextQuery { return salvo.TextQuery{Words: strings.Fields(s)} }
	phrase := func(s string) salvo.TextQuery { return salvo.TextQuery{Words: strings.Fields(s), Phrase: true} }
	same := func(q salvo.TextQuery, k int, want ...string) {
		t.Helper()
		got := textSearch(t, ts, "c", q, k)
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("TextSearch(c, %+v, %d) = %q, want %q in some order", q, k, got, want)
		}
	}
	same(words("fox"), 10, "fox", "foxes", "rev")
	if got := textSearch(t, ts, "c", words("fox"), 10); len(got) == 0 || got[0] != "foxes" {
		t.Errorf("TextSearch(c, fox) = %q: want foxes (fox four times) first", got)
	}
	same(words("fox"), 2, textSearch(t, ts, "c", words("fox"), 10)[:2]...)
	same(words("crime pacino"), 10, "heat")         // the text and a kept field's value (in a list)
	same(words("1995"), 10, "heat")                 // a number kept
	same(words("pabst"), 10, "fields")              // a kept field only
	same(words("title director cast"), 10)          // fields' names are not words of the record
	same(words("lazy nothing"), 10, "fox", "nofox") // any word
	same(phrase("red fox"), 10, "fox", "foxes")     // "a fox that is red" is no phrase match
	same(phrase("fox red"), 10)
	same(phrase("de niro"), 10, "heat")
	same(words("quotes or near not operators"), 10, "quote") // words, never operators
	same(words(`"`), 10)
	same(words("zebra"), 10)
	same(words("fox"), 0)

	// A new text replaces the item's words; new fields replace the fields'.
	e := textEntry("A zebra crossing", 3)
	mustPut(t, s, "c", []salvo.Entry{e}, []salvo.Item{{ID: "fox", Key: e.Key}, {ID: "heat", Key: items[slices.IndexFunc(items, func(it salvo.Item) bool { return it.ID == "heat" })].Key, Fields: []byte(`{"title":"Ronin"}`)}})
	same(words("zebra"), 10, "fox")
	same(words("lazy"), 10)
	same(words("pacino"), 10)
	same(words("ronin crime"), 10, "heat")
	if got := textSearch(t, ts, "other", words("fox"), 10); !slices.Equal(got, []string{"otherfox"}) {
		t.Errorf("TextSearch(other, fox) = %q, want [otherfox]", got)
	}
	if p, ok := s.(salvo.Pruner); ok {
		if _, err := p.DeleteItems(ctx, "c", []string{"foxes"}); err != nil {
			t.Fatalf("DeleteItems: %v", err)
		}
		same(words("fox"), 10, "rev")
	}
	if _, err := ts.TextSearch(ctx, "nope", words("fox"), 10); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("TextSearch of a missing collection: err = %v, want one wrapping ErrNoCollection", err)
	}
}

// testTextSearchMany checks that k bounds a large answer and that the best
// match of many comes first.
func testTextSearchMany(t *testing.T, s salvo.Store) {
	ts, ok := s.(salvo.TextSearcher)
	if !ok {
		t.Skipf("%T has no salvo.TextSearcher", s)
	}
	mustOpen(t, s, "c", "m")
	var (
		entries []salvo.Entry
		items   []salvo.Item
	)
	for i := range 600 {
		text := fmt.Sprintf("record %d about common things", i)
		if i == 377 {
			text = "record 377 about the rare word, rare and rare again"
		}
		if i%50 == 0 {
			text += " with one rare mention among many other words to dilute it"
		}
		e := textEntry(text, 2)
		entries = append(entries, e)
		items = append(items, salvo.Item{ID: fmt.Sprintf("r%03d", i), Key: e.Key})
	}
	mustPut(t, s, "c", entries, items)
	if got := textSearch(t, ts, "c", salvo.TextQuery{Words: []string{"common"}}, 25); len(got) != 25 {
		t.Errorf("TextSearch(common, k=25) gave %d hits, want 25", len(got))
	}
	got := textSearch(t, ts, "c", salvo.TextQuery{Words: []string{"rare"}}, 5)
	if len(got) != 5 || got[0] != "r377" {
		t.Errorf("TextSearch(rare, k=5) = %q, want 5 hits with r377 first", got)
	}
}
