package storetest

import (
	"context"
	"testing"

	"github.com/salvoembed/salvo"
)

// testTextSearchOnce checks that a kept value the text already holds adds
// no words (with the default --keep the text is made of the kept fields,
// and each word would otherwise count twice): a record with such values
// scores as the same text without kept fields, a value the text lacks is
// still found, and a text that says a word twice ranks above one that
// says it once and keeps it in a field.
func testTextSearchOnce(t *testing.T, s salvo.Store) {
	ts, ok := s.(salvo.TextSearcher)
	if !ok {
		t.Skipf("%T has no salvo.TextSearcher", s)
	}
	mustOpen(t, s, "c", "m")
	heat := textEntry("Heat (1995): a crime drama in Los Angeles", 3)
	drama := textEntry("A crime drama", 3)
	once := textEntry("Ronin, a thriller", 3)
	twice := textEntry("Ronin, a thriller: Ronin", 3)
	cafe := textEntry("Café Society (2016)", 3)
	mustPut(t, s, "c", []salvo.Entry{heat, drama, once, twice, cafe}, []salvo.Item{
		{ID: "bare", Key: heat.Key},
		{ID: "kept", Key: heat.Key, Fields: []byte(`{"title":"Heat","year":1995}`)},
		{ID: "cafebare", Key: cafe.Key},
		{ID: "cafekept", Key: cafe.Key, Fields: []byte(`{"title":"Caf\u00e9 Society"}`)}, // an escape in the JSON
		{ID: "notext", Key: drama.Key, Fields: []byte(`{"title":"Heat"}`)},
		{ID: "once", Key: once.Key, Fields: []byte(`{"title":"Ronin"}`)},
		{ID: "twice", Key: twice.Key},
	})
	scores := func(word string) map[string]float32 {
		t.Helper()
		hits, err := ts.TextSearch(context.Background(), "c", salvo.TextQuery{Words: []string{word}}, 10)
		if err != nil {
			t.Fatalf("TextSearch(c, %s): %v", word, err)
		}
		m := map[string]float32{}
		for _, h := range hits {
			m[h.ID] = h.Score
		}
		return m
	}
	for _, tt := range []struct{ word, bare, kept string }{
		{"heat", "bare", "kept"}, {"1995", "bare", "kept"}, {"crime", "bare", "kept"},
		{"café", "cafebare", "cafekept"}, {"society", "cafebare", "cafekept"},
	} {
		got := scores(tt.word)
		b, okb := got[tt.bare]
		k, okk := got[tt.kept]
		if !okb || !okk || b != k {
			t.Errorf("TextSearch(c, %s) scores %v: want %s and %s found with the same score (%[4]s's kept values are in its text)", tt.word, got, tt.bare, tt.kept)
		}
	}
	if got := scores("heat"); len(got) != 3 {
		t.Errorf("TextSearch(c, heat) found %v: want bare, kept and notext (its kept value, not in its text)", got)
	}
	got := scores("ronin")
	if o, tw := got["once"], got["twice"]; len(got) != 2 || tw <= o {
		t.Errorf("TextSearch(c, ronin) scores %v: want twice (ronin twice in its text) above once (ronin once in its text, once in a kept field)", got)
	}
}
