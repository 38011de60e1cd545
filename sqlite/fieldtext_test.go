package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/storetest"
)

// keptLike encodes v as salvo embed's kept fields do.
func keptLike(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func TestSplitJoinText(t *testing.T) {
	text := "Amélie (2001). Comedy, Romance. A \"shy\" waitress <decides> to change\nthe lives\tof those \u2028 around her \\ & \x01."
	fields := keptLike(t, map[string]any{"text": text, "year": 2001, "tags": []string{"a", text}})
	rest, at, ok := splitText(fields, text)
	if !ok {
		t.Fatalf("the text was not found in %s", fields)
	}
	if bytes.Contains(rest, []byte("waitress")) && strings.Count(string(rest), "waitress") != 1 {
		t.Errorf("rest %s", rest)
	}
	if !json.Valid(rest) {
		t.Errorf("rest is not JSON: %s", rest)
	}
	back, ok := joinText(rest, at, text)
	if !ok || !bytes.Equal(back, fields) {
		t.Errorf("joinText = %s, %v; want %s", back, ok, fields)
	}
	for _, c := range []struct{ fields, text string }{
		{`{"a":"x:","b":"` + strings.Repeat("c", 40) + `"}`, `,"b":` + strings.Repeat("c", 40)}, // not a value
		{`{"t":"short"}`, "short"},
		{`{"text":"` + strings.Repeat("a", 40) + `b"}`, strings.Repeat("a", 40)}, // a prefix of the value
		{`{"text": "` + strings.Repeat("a", 40) + `"}`, strings.Repeat("a", 40)}, // not the compact form
	} {
		if _, _, ok := splitText([]byte(c.fields), c.text); ok {
			t.Errorf("splitText(%s, %q) took the text out", c.fields, c.text)
		}
	}
}

// FuzzSplitJoinText: whatever the fields and the text, joinText gives back
// the fields splitText was given, and what it stores is JSON when the
// fields were.
func FuzzSplitJoinText(f *testing.F) {
	f.Add("Amélie (2001). Comedy. A \"shy\" waitress\nchanges lives \u2028 \\ \x01 <&>", "x")
	f.Add(strings.Repeat("word ", 10), "y")
	f.Fuzz(func(t *testing.T, text, other string) {
		fields := keptLike(t, map[string]any{"a": other, "text": text, "n": []any{1, text}})
		rest, at, ok := splitText(fields, text)
		if !ok {
			if utf8.ValidString(text) && len(text) >= minTextInFields {
				t.Fatalf("a valid text of %d bytes not found in %s", len(text), fields)
			}
			return
		}
		if !json.Valid(rest) {
			t.Fatalf("stored fields not JSON: %s", rest)
		}
		back, ok := joinText(rest, at, text)
		if !ok || !bytes.Equal(back, fields) {
			t.Fatalf("joinText = %s, %v; want %s", back, ok, fields)
		}
	})
}

// TestTextStoredOnce: a record whose kept fields hold its whole text (salvo
// embed --text '{{.text}}') stores the text once, in the cache; Docs gives
// the fields back byte for byte, for an entry's text and for a cached one,
// and the text's words are found once.
func TestTextStoredOnce(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	text := "Orbit & Inheritance (1962). Comedy. Elias Alder, an \"exiled\" chef in Trieste\u2028 keeps a low profile."
	fields := keptLike(t, map[string]any{"text": text, "year": 1962})
	e := storetest.Entries(4, 1)
	e[0].Text = text
	items := []salvo.Item{{ID: "a", Key: e[0].Key, Fields: fields}}
	if err := s.Put(ctx, "c", e, items); err != nil {
		t.Fatal(err)
	}
	// Another record of the same text, linked to the cached vector.
	if err := s.Put(ctx, "c", nil, []salvo.Item{{ID: "b", Key: e[0].Key, Fields: fields}}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE instr(fields, 'exiled') > 0 OR fields IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d items hold the text in their fields too", n)
	}
	docs, err := s.Docs(ctx, "c", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.Text != text || !bytes.Equal(d.Fields, fields) {
			t.Errorf("Docs(%s) = %q %s, want %q %s", d.ID, d.Text, d.Fields, text, fields)
		}
	}
	hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"trieste"}}, 10)
	if err != nil || len(hits) != 2 {
		t.Errorf("TextSearch(trieste) = %v, %v; want both records", hits, err)
	}
	hits, err = s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"1962"}}, 10)
	if err != nil || len(hits) != 2 {
		t.Errorf("TextSearch(1962) = %v, %v; want both records", hits, err)
	}
}

// splitTextByEncoding is splitText as it was first written: the text's
// JSON string, searched for after a colon.
func splitTextByEncoding(fields []byte, text string) ([]byte, int, bool) {
	if len(fields) < minTextInFields || len(text) < minTextInFields || !utf8.ValidString(text) {
		return fields, 0, false
	}
	enc := appendJSONString(nil, text)
	i := bytes.Index(fields, append([]byte{':'}, enc...))
	if i < 0 {
		return fields, 0, false
	}
	rest := append(append(append([]byte{}, fields[:i+1]...), "null"...), fields[i+1+len(enc):]...)
	if !json.Valid(rest) {
		return fields, 0, false
	}
	return rest, i + 1, true
}

// FuzzSplitTextShortcuts: the shortcuts of splitText (the first bytes
// looked for first, a plain text searched as it is) change nothing.
func FuzzSplitTextShortcuts(f *testing.F) {
	f.Add(`{"t":"Orbit & Inheritance (1962). Comedy. A chef.","n":1}`, "Orbit & Inheritance (1962). Comedy. A chef.")
	f.Add(`{"a":"x:\"a text that is long enough to be split","b":"a text that is long enough to be split"}`, "a text that is long enough to be split")
	f.Add(`{"t":"Amélie \n\"q\" and words enough to pass the minimum"}`, "Amélie \n\"q\" and words enough to pass the minimum")
	f.Fuzz(func(t *testing.T, fields, text string) {
		rest, at, ok := splitText([]byte(fields), text)
		wantRest, wantAt, wantOK := splitTextByEncoding([]byte(fields), text)
		if ok != wantOK || at != wantAt || !bytes.Equal(rest, wantRest) {
			t.Fatalf("splitText = %q, %d, %v; want %q, %d, %v", rest, at, ok, wantRest, wantAt, wantOK)
		}
	})
}
