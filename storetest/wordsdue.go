package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
)

// testWordsIndexer checks a WordsIndexer (for stores that have one): what
// each Put adds or changes is due, and only that; IndexWords indexes it
// and says how much; TextSearch indexes what is due before it searches; a
// record deleted before it was indexed is no longer due.
func testWordsIndexer(t *testing.T, s salvo.Store) {
	wi, ok := s.(salvo.WordsIndexer)
	if !ok {
		t.Skipf("%T has no salvo.WordsIndexer", s)
	}
	ts := s.(salvo.TextSearcher)
	ctx := context.Background()
	due := func(want int) {
		t.Helper()
		if n, err := wi.WordsDue(ctx); err != nil || n != want {
			t.Fatalf("WordsDue = %d, %v; want %d", n, err, want)
		}
	}
	mustOpen(t, s, "c", "m")
	due(0)
	var (
		es    []salvo.Entry
		items []salvo.Item
	)
	for i, text := range []string{"alpha bravo", "charlie delta", "echo foxtrot"} {
		e := textEntry(text, 3)
		es = append(es, e)
		items = append(items, salvo.Item{ID: string(rune('a' + i)), Key: e.Key, Fields: []byte(`{"tag":"golf"}`)})
	}
	mustPut(t, s, "c", es, items)
	due(3)
	if n, err := wi.IndexWords(ctx); err != nil || n != 3 {
		t.Fatalf("IndexWords = %d, %v; want 3", n, err)
	}
	due(0)
	if n, err := wi.IndexWords(ctx); err != nil || n != 0 {
		t.Fatalf("IndexWords again = %d, %v; want 0", n, err)
	}
	find := func(word string, want ...string) {
		t.Helper()
		got := textSearch(t, ts, "c", salvo.TextQuery{Words: []string{word}}, 10)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("TextSearch(%s) = %q, want %q", word, got, want)
		}
	}
	find("golf", "a", "b", "c")

	mustPut(t, s, "c", nil, items) // nothing changes
	due(0)
	changed := items[1]
	changed.Fields = []byte(`{"tag":"hotel"}`)
	mustPut(t, s, "c", nil, []salvo.Item{changed})
	due(1)
	find("hotel", "b") // TextSearch indexes what is due first
	due(0)
	find("golf", "a", "c")

	if p, ok := s.(salvo.Pruner); ok {
		e := textEntry("india juliet", 3)
		mustPut(t, s, "c", []salvo.Entry{e}, []salvo.Item{{ID: "d", Key: e.Key}})
		due(1)
		if _, err := p.DeleteItems(ctx, "c", []string{"d", "a"}); err != nil {
			t.Fatal(err)
		}
		due(0)
		find("india")
		find("alpha")
		find("golf", "c")
	}
}
