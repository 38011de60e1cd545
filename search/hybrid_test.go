package search_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
)

const fakeModel = "fixture"

// hashEmbedder embeds like ollamatest: a vector drawn from the text's
// hash, noise as far as meaning goes, as the fixture model's; texts in
// near are given the vector of another text instead.
type hashEmbedder struct {
	dims int
	near map[string]string
}

func (h hashEmbedder) Embed(_ context.Context, texts []string) (*salvo.Embedding, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if o, ok := h.near[t]; ok {
			t = o
		}
		out[i] = ollamatest.Vector(fakeModel, t, h.dims)
	}
	return &salvo.Embedding{Vectors: out}, nil
}

type rec struct {
	id, text string
	fields   map[string]any
}

// wordStore stores recs in a new SQLite collection "c" keeping fields,
// with hashEmbedder's vectors.
func wordStore(t testing.TB, recs []rec, dims int) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "words.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "c", Model: fakeModel, Endpoint: "/api/embed", Keep: "*"}); err != nil {
		t.Fatal(err)
	}
	var (
		entries []salvo.Entry
		items   []salvo.Item
	)
	for _, r := range recs {
		key := salvo.KeySpec{Model: fakeModel}.Key(r.text)
		entries = append(entries, salvo.Entry{Key: key, Vector: ollamatest.Vector(fakeModel, r.text, dims), Text: r.text})
		f, err := json.Marshal(r.fields)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, salvo.Item{ID: r.id, Key: key, Fields: f})
	}
	for i := 0; i < len(items); i += 1000 {
		j := min(i+1000, len(items))
		if err := st.Put(ctx, "c", entries[i:j], items[i:j]); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func ids(rs []search.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// VegaTitles reads the distinct titles of the Vega movies test catalog
// with their records: text as a template would render it, and fields.
func vegaMovies(t testing.TB) (recs []rec, titles map[string]string) {
	t.Helper()
	f, err := os.Open("../testdata/catalogs/vega-movies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	count := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		title := fmt.Sprint(m["Title"])
		text := fmt.Sprintf("%s (%v). %v, %v, directed by %v, distributed by %v.", title, m["Release Date"], m["Major Genre"], m["Creative Type"], m["Director"], m["Distributor"])
		recs = append(recs, rec{id: fmt.Sprint(n), text: text,
			fields: map[string]any{"Title": m["Title"], "Director": m["Director"], "Major Genre": m["Major Genre"]}})
		count[search.Normal(title)]++
	}
	titles = map[string]string{}
	for _, r := range recs {
		title := fmt.Sprint(r.fields["Title"])
		if count[search.Normal(title)] == 1 {
			titles[title] = r.id
		}
	}
	return recs, titles
}

// TestHybridFindsExactTitles is the target: over 500 distinct titles of
// the Vega movies catalog, the exact title as the query finds its movie
// first in hybrid mode at least 99% of the time, when the vectors are
// noise (as the fixture model's are). Vector search alone cannot, nor can
// plain reciprocal rank fusion.
func TestHybridFindsExactTitles(t *testing.T) {
	recs, titles := vegaMovies(t)
	st := wordStore(t, recs, 32)
	ctx := context.Background()
	c, err := search.Open(ctx, st, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	emb := hashEmbedder{dims: 32}
	sorted := slices.Sorted(func(yield func(string) bool) {
		for title := range titles {
			if !yield(title) {
				return
			}
		}
	})
	// 500 titles spread over the catalog's alphabet.
	var sample []string
	for i := range 500 {
		sample = append(sample, sorted[i*len(sorted)/500])
	}
	first := map[search.Mode]int{}
	plain := 0 // plain reciprocal rank fusion
	for _, title := range sample {
		if id, err := search.PlainFusion(ctx, c, emb, title); err != nil {
			t.Fatal(err)
		} else if id == titles[title] {
			plain++
		}
		for _, mode := range []search.Mode{search.ModeHybrid, search.ModeVector} {
			rs, err := c.Find(ctx, emb, title, "", 10, nil, mode)
			if err != nil {
				t.Fatalf("Find(%q, %s): %v", title, mode, err)
			}
			if len(rs) > 0 && rs[0].ID == titles[title] {
				first[mode]++
			} else if mode == search.ModeHybrid {
				t.Logf("hybrid: %q (record %s) is not first: %q", title, titles[title], ids(rs))
			}
		}
	}
	t.Logf("first of 500: %v, plain reciprocal rank fusion %d", first, plain)
	if first[search.ModeHybrid] < 495 {
		t.Errorf("hybrid finds %d of 500 exact titles first, want at least 495 (99%%)", first[search.ModeHybrid])
	}
	if plain >= 495 {
		t.Errorf("plain reciprocal rank fusion finds %d of 500 titles first: the test does not test what hybrid adds", plain)
	}
	if first[search.ModeVector] > 50 {
		t.Errorf("vector search finds %d of 500 titles first with vectors that are noise: the test does not test the fusion", first[search.ModeVector])
	}
}

// TestHybridMeaningWinsOverWeakWords: where the query's words are common
// to many records alike, the record nearest in meaning comes first, even
// though it holds none of the words.
func TestHybridMeaningWinsOverWeakWords(t *testing.T) {
	var recs []rec
	for i := range 40 {
		recs = append(recs, rec{id: fmt.Sprintf("s%02d", i), text: fmt.Sprintf("A story number %d of a family", i), fields: map[string]any{"n": i}})
	}
	recs = append(recs, rec{id: "grief", text: "Mourning a lost brother at sea", fields: map[string]any{"n": 99}})
	st := wordStore(t, recs, 32)
	ctx := context.Background()
	c, err := search.Open(ctx, st, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const query = "a story of family loss"
	// The model puts the query next to the grief record.
	emb := hashEmbedder{dims: 32, near: map[string]string{query: "Mourning a lost brother at sea"}}
	rs, err := c.Find(ctx, emb, query, "", 5, nil, search.ModeHybrid)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[0].ID != "grief" {
		t.Errorf("hybrid %q = %q: want grief (nearest in meaning; the words are in every story alike) first", query, ids(rs))
	}
	// The words alone rank the stories.
	rs, err = c.Find(ctx, nil, query, "", 5, nil, search.ModeText)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5 || slices.Contains(ids(rs), "grief") {
		t.Errorf("text %q = %q: want 5 stories", query, ids(rs))
	}
	// Decisive words still win over meaning: the exact text of a story.
	rs, err = c.Find(ctx, emb, "A story number 17 of a family", "", 5, nil, search.ModeHybrid)
	if err != nil || len(rs) == 0 || rs[0].ID != "s17" {
		t.Errorf("hybrid with a story's exact text = %q, %v; want s17 first", ids(rs), err)
	}
}

// TestTextModeExactBeforeBM25: a record that is the query beats one that
// repeats its words (BM25's favourite); a phrase beats scattered words;
// --where filters apply to text and hybrid.
func TestTextModeExactBeforeBM25(t *testing.T) {
	recs := []rec{
		{id: "reloaded", text: "The Matrix Reloaded: the matrix, matrix and more matrix", fields: map[string]any{"title": "The Matrix Reloaded", "year": 2003}},
		{id: "matrix", text: "The Matrix, a film about a simulated world of machines and people", fields: map[string]any{"title": "The Matrix", "year": 1999}},
		{id: "scattered", text: "Matrix algebra: the determinant of a matrix", fields: map[string]any{"title": "Linear algebra", "year": 2010}},
		{id: "phrase", text: "A documentary on the matrix franchise", fields: map[string]any{"title": "Making of", "year": 2004}},
		{id: "none", text: "Nothing here", fields: map[string]any{"title": "Other", "year": 1999}},
	}
	st := wordStore(t, recs, 8)
	ctx := context.Background()
	c, err := search.Open(ctx, st, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.Find(ctx, nil, "the MATRIX", "", 10, nil, search.ModeText)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rs); len(got) != 4 || got[0] != "matrix" || slices.Index(got, "scattered") < slices.Index(got, "phrase") {
		t.Errorf("text 'the MATRIX' = %q: want matrix (the title) first, the phrases before scattered words, none left out", got)
	}
	if string(rs[0].Fields) == "{}" || rs[0].Text == "" {
		t.Errorf("text results carry no fields or text: %+v", rs[0])
	}
	for _, mode := range []search.Mode{search.ModeText, search.ModeHybrid} {
		w, err := search.ParseWheres([]string{"year >= 2003"}, "*")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := c.Find(ctx, hashEmbedder{dims: 8}, "the matrix", "", 10, w, mode)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(rs)
		slices.Sort(got)
		want := []string{"phrase", "reloaded", "scattered"}
		if mode == search.ModeHybrid {
			want = []string{"phrase", "reloaded", "scattered"} // the vectors rank only what the filter keeps
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s with year >= 2003 = %q, want %q", mode, got, want)
		}
	}
	if _, err := c.Find(ctx, nil, "!!", "", 10, nil, search.ModeText); !errors.Is(err, search.ErrEmptyQuery) {
		t.Errorf("text search without a word: err = %v, want ErrEmptyQuery", err)
	}
	if _, err := c.Find(ctx, nil, "x", "", 10, nil, "fuzzy"); !errors.Is(err, search.ErrBadMode) {
		t.Errorf("unknown mode: err = %v, want ErrBadMode", err)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]search.Mode{"": search.ModeHybrid, "vector": search.ModeVector, " Text ": search.ModeText, "HYBRID": search.ModeHybrid} {
		if got, err := search.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := search.ParseMode("bm25")
	var me *search.ModeError
	if !errors.As(err, &me) || me.Value != "bm25" || !errors.Is(err, search.ErrBadMode) {
		t.Errorf("ParseMode(bm25) = %v, want a *ModeError", err)
	}
}
