package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

func TestSplitJoinRefs(t *testing.T) {
	summary := "Elias Alder, an exiled chef in Trieste, keeps a low profile for years."
	text := "Orbit & Inheritance (1962). Comedy. " + summary
	for _, c := range []struct {
		name   string
		fields map[string]any
		split  bool
	}{
		{"a long value the text holds", map[string]any{"title": "Orbit & Inheritance", "year": 1962, "summary": summary}, true},
		{"two of them", map[string]any{"a": summary, "b": summary[:40]}, true},
		{"in a list, left", map[string]any{"c": []any{summary}, "d": 1}, false},
		{"a value the text lacks", map[string]any{"summary": summary + " Not in the text."}, false},
		{"short values only", map[string]any{"title": "Orbit & Inheritance", "year": 1962}, false},
		{"a value with escapes", map[string]any{"q": "an \"exiled\" chef in Trieste, keeps a low profile"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fields := keptLike(t, c.fields)
			rest, refs, ok := splitRefs(fields, text)
			if ok != c.split {
				t.Fatalf("splitRefs(%s) ok = %v, want %v", fields, ok, c.split)
			}
			if !ok {
				if !bytes.Equal(rest, fields) || refs != "" {
					t.Fatalf("refused, yet changed: %s %q", rest, refs)
				}
				return
			}
			if !json.Valid(rest) || bytes.Contains(rest, []byte("exiled")) {
				t.Errorf("stored fields %s: want JSON without the summary", rest)
			}
			back, ok := joinRefs(rest, refs, text)
			if !ok || !bytes.Equal(back, fields) {
				t.Errorf("joinRefs = %s, %v; want %s", back, ok, fields)
			}
		})
	}
	for _, bad := range []string{"", "1 2", "x 0 1", "-1 0 1", "0 5 1", "0 0 9999", "3 0 1"} {
		if _, ok := joinRefs([]byte(`{"a":null}`), bad, text); ok {
			t.Errorf("joinRefs with references %q accepted", bad)
		}
	}
}

func FuzzSplitJoinRefs(f *testing.F) {
	f.Add("Orbit & Inheritance (1962). Comedy. Elias Alder, an exiled chef in Trieste.", 36, 70, "x")
	f.Add(strings.Repeat("word ", 20), 0, 50, "y")
	f.Add("Amélie \u2028 <&> \\ \"q\" and a long enough run of plain words here", 0, 40, "z")
	f.Fuzz(func(t *testing.T, text string, start, end int, other string) {
		if start < 0 || end > len(text) || start > end {
			return
		}
		fields := keptLike(t, map[string]any{"a": other, "part": text[start:end], "n": []any{1, text[start:end]}})
		rest, refs, ok := splitRefs(fields, text)
		if !ok {
			if !bytes.Equal(rest, fields) {
				t.Fatalf("refused, yet changed: %s", rest)
			}
			part := text[start:end]
			if len(part) >= minTextRef && string(appendJSONString(nil, part)) == `"`+part+`"` {
				t.Fatalf("a plain value of %d bytes the text holds not stored as a reference: %s", len(part), fields)
			}
			return
		}
		if !json.Valid(rest) {
			t.Fatalf("stored fields not JSON: %s", rest)
		}
		back, ok := joinRefs(rest, refs, text)
		if !ok || !bytes.Equal(back, fields) {
			t.Fatalf("joinRefs = %s, %v; want %s", back, ok, fields)
		}
	})
}

// TestKeptValuesStoredOnce: with the fields the text is made of kept (the
// default --keep), a long value the text holds is stored once, in the
// cache's text; Docs gives the fields back byte for byte, with the whole
// text kept too, and the words are found.
func TestKeptValuesStoredOnce(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	summary := "Elias Alder, an exiled chef in Trieste, keeps a low profile until a crumbling restaurant changes everything."
	text := "Orbit & Inheritance (1962). Comedy. " + summary
	e := storetest.Entries(4, 1)
	e[0].Text = text
	movie := keptLike(t, map[string]any{"title": "Orbit & Inheritance", "year": 1962, "genres": []any{"Comedy"}, "summary": summary})
	whole := keptLike(t, map[string]any{"text": text, "summary": summary}) // text_at and a reference
	items := []salvo.Item{{ID: "a", Key: e[0].Key, Fields: movie}, {ID: "b", Key: e[0].Key, Fields: whole}}
	if err := s.Put(ctx, "c", e, items); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE instr(fields, 'crumbling') > 0 OR text_refs IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d items hold the summary in their fields too", n)
	}
	docs, err := s.Docs(ctx, "c", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{movie, whole} {
		if docs[i].Text != text || !bytes.Equal(docs[i].Fields, want) {
			t.Errorf("Docs(%s) = %q %s, want %q %s", docs[i].ID, docs[i].Text, docs[i].Fields, text, want)
		}
	}
	for _, word := range []string{"crumbling", "orbit", "1962"} {
		hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{word}}, 10)
		if err != nil || len(hits) != 2 {
			t.Errorf("TextSearch(%s) = %v, %v; want both records", word, hits, err)
		}
	}
	// The same fields again change nothing; other fields replace them.
	if err := s.Put(ctx, "c", nil, items[:1]); err != nil {
		t.Fatal(err)
	}
	other := keptLike(t, map[string]any{"title": "Orbit & Inheritance", "summary": "A shorter summary, not the text's own words."})
	if err := s.Put(ctx, "c", nil, []salvo.Item{{ID: "a", Key: e[0].Key, Fields: other}}); err != nil {
		t.Fatal(err)
	}
	if docs, err = s.Docs(ctx, "c", []string{"a"}); err != nil || !bytes.Equal(docs[0].Fields, other) {
		t.Errorf("Docs(a) after new fields = %s, %v; want %s", docs[0].Fields, err, other)
	}
}

// BenchmarkSplitMovie: what Put does with a movie's kept fields (the
// fields of the text, the summary among them) before storing them.
func BenchmarkSplitMovie(b *testing.B) {
	summary := strings.Repeat("An exiled chef in Trieste cooks for the ghosts of a hotel. ", 7)
	text := "Orbit & Inheritance (1962). Comedy, Drama. " + summary
	fields := []byte(`{"title":"Orbit & Inheritance","year":1962,"genres":["Comedy","Drama"],"summary":"` + summary + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		rest, _, _ := splitText(fields, text)
		if _, _, ok := splitRefs(rest, text); !ok {
			b.Fatal("summary not stored as a reference")
		}
	}
}
