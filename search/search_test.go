package search_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

func TestQueryPrefix(t *testing.T) {
	bge := "Represent this sentence for searching relevant passages: "
	for model, want := range map[string]string{
		"nomic-embed-text":                         "search_query: ",
		"nomic-embed-text:v1.5":                    "search_query: ",
		"NOMIC-EMBED-TEXT:latest":                  "search_query: ",
		"nomic-embed-text-v2-moe":                  "search_query: ",
		"mxbai-embed-large":                        bge,
		"bge-large-en-v1.5":                        bge,
		"bge-m3":                                   "",
		"snowflake-arctic-embed:335m":              bge,
		"snowflake-arctic-embed2":                  "query: ",
		"jeffh/intfloat-multilingual-e5-large:f16": "query: ",
		"embeddinggemma":                           "task: search result | query: ",
		"all-minilm":                               "",
		"salvo-fixture-minilm":                     "",
		"registry.ollama.ai/library/nomic-embed-text:latest": "search_query: ",
	} {
		if got := search.QueryPrefix(model); got != want {
			t.Errorf("QueryPrefix(%q) = %q, want %q", model, got, want)
		}
	}
}

// store makes a collection of n 4-dimensional vectors with kept fields.
func store(t *testing.T, n int) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "/api/embed", Prefix: "doc: ", Keep: "n"}); err != nil {
		t.Fatal(err)
	}
	seeds := make([]int, n)
	items := make([]salvo.Item, n)
	for i := range n {
		seeds[i] = i
		items[i] = salvo.Item{ID: string(rune('a' + i)), Key: storetest.Key(i), Fields: []byte(`{"n":` + string(rune('0'+i)) + `}`)}
	}
	entries := storetest.Entries(4, seeds...)
	for i := range entries {
		entries[i].Text = "doc: text " + string(rune('a'+i))
		unit(entries[i].Vector)
	}
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "empty", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "c", entries, items); err != nil {
		t.Fatal(err)
	}
	return st
}

func unit(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(s))
	}
}

// eachOnly hides every optional interface of the store: only Store.Each.
type eachOnly struct{ salvo.Store }

func TestSimilarThroughEitherReader(t *testing.T) {
	ctx := context.Background()
	st := store(t, 6)
	for name, s := range map[string]salvo.Store{"VectorReader": st, "Each": eachOnly{st}} {
		c, err := search.Open(ctx, s, "c", search.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res, err := c.Similar(ctx, "c", 5)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res) != 5 || slices.ContainsFunc(res, func(r search.Result) bool { return r.ID == "c" }) {
			t.Errorf("%s: %+v", name, res)
		}
		if name == "VectorReader" && (string(res[0].Fields) == "{}" || res[0].Text == "" || res[0].Text[:4] == "doc:") {
			t.Errorf("%s: fields %s, text %q: want the kept fields and the text without the prefix", name, res[0].Fields, res[0].Text)
		}
		if name == "Each" && string(res[0].Fields) != "{}" {
			t.Errorf("%s: fields %s without a DocReader, want {}", name, res[0].Fields)
		}
		if _, err := c.Similar(ctx, "zz", 3); !errors.Is(err, search.ErrUnknownID) {
			t.Errorf("%s: unknown ID: %v", name, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	st := store(t, 3)
	if _, err := search.Open(ctx, st, "nope", search.Options{}); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("unknown collection: %v", err)
	}
	if _, err := search.Open(ctx, st, "empty", search.Options{}); !errors.Is(err, search.ErrEmptyCollection) {
		t.Errorf("empty collection: %v", err)
	}
}

// searcher is a store that ranks by itself, as PostgreSQL with pgvector.
type searcher struct {
	*sqlite.Store
	asked []float32
	excl  string
}

func (s *searcher) Search(_ context.Context, _ string, q []float32, k int, exclude string) ([]salvo.Hit, error) {
	s.asked, s.excl = q, exclude
	return []salvo.Hit{{ID: "b", Score: 0.5}}, nil
}

func TestStoreThatSearches(t *testing.T) {
	ctx := context.Background()
	s := &searcher{Store: store(t, 3)}
	c, err := search.Open(ctx, s, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Index() != nil {
		t.Error("the vectors were loaded although the store searches itself")
	}
	res, err := c.Similar(ctx, "a", 2)
	if err != nil || len(res) != 1 || res[0].ID != "b" || string(res[0].Fields) != `{"n":1}` {
		t.Errorf("Similar = %+v, %v", res, err)
	}
	if s.excl != "a" || len(s.asked) != 4 {
		t.Errorf("the store was asked for %v excluding %q", s.asked, s.excl)
	}
}

// itemSearcher also reads one item's vector, and so never needs Each.
type itemSearcher struct {
	*searcher
	read []string
}

func (s *itemSearcher) ItemVector(ctx context.Context, coll, id string) ([]float32, error) {
	s.read = append(s.read, id)
	if id == "zz" {
		return nil, nil
	}
	return []float32{1, 0, 0, 0}, nil
}

func (s *itemSearcher) Each(context.Context, string, func(string, []float32) error) error {
	return errors.New("Each called: similar scans the collection")
}

func TestSimilarReadsOneVector(t *testing.T) {
	ctx := context.Background()
	s := &itemSearcher{searcher: &searcher{Store: store(t, 3)}}
	c, err := search.Open(ctx, s, "c", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Similar(ctx, "a", 2)
	if err != nil || len(res) != 1 || res[0].ID != "b" {
		t.Errorf("Similar = %+v, %v", res, err)
	}
	if !slices.Equal(s.read, []string{"a"}) || !slices.Equal(s.asked, []float32{1, 0, 0, 0}) || s.excl != "a" {
		t.Errorf("read %q, then searched %v excluding %q", s.read, s.asked, s.excl)
	}
	if _, err := c.Similar(ctx, "zz", 2); !errors.Is(err, search.ErrUnknownID) {
		t.Errorf("unknown ID: %v", err)
	}
}

type fixedEmbedder struct{ v []float32 }

func (f fixedEmbedder) Embed(_ context.Context, texts []string) (*salvo.Embedding, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = slices.Clone(f.v)
	}
	return &salvo.Embedding{Vectors: out}, nil
}

func TestQuery(t *testing.T) {
	ctx := context.Background()
	st := store(t, 5)
	for _, quantize := range []bool{false, true} {
		c, err := search.Open(ctx, st, "c", search.Options{Quantize: quantize})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := c.Similar(ctx, "b", 4)
		// Query with b's own vector, scaled: it is normalised, and b comes first.
		v := slices.Clone(c.Index().Vector(1))
		for i := range v {
			v[i] *= 3
		}
		res, err := c.Query(ctx, fixedEmbedder{v}, "anything", "", 5)
		if err != nil || res[0].ID != "b" || res[0].Score < 0.9999 {
			t.Fatalf("quantize=%v: Query = %+v, %v", quantize, res, err)
		}
		for i := range want {
			if res[i+1].ID != want[i].ID {
				t.Errorf("quantize=%v: Query rank %d = %s, Similar has %s", quantize, i+2, res[i+1].ID, want[i].ID)
			}
		}
		if _, err := c.Query(ctx, fixedEmbedder{v}, " ", "", 5); !errors.Is(err, search.ErrEmptyQuery) {
			t.Errorf("empty query: %v", err)
		}
		if _, err := c.Query(ctx, fixedEmbedder{[]float32{1, 0}}, "x", "", 5); err == nil {
			t.Error("a query vector of other dimensions: no error")
		}
	}
}

// The query prefix is the pair of the document prefix a collection was
// embedded with: none when the documents did not get the model's own.
func TestQueryPrefixFor(t *testing.T) {
	bge := "Represent this sentence for searching relevant passages: "
	for _, tc := range []struct{ model, doc, want string }{
		{"nomic-embed-text", "", ""},
		{"nomic-embed-text", "search_document: ", "search_query: "},
		{"nomic-embed-text:v1.5", "search_document:", "search_query: "},
		{"nomic-embed-text", "doc: ", ""},
		{"bge-large-en-v1.5", "", bge},
		{"bge-large-en-v1.5", "doc: ", ""},
		{"multilingual-e5-large", "passage: ", "query: "},
		{"multilingual-e5-large", "", ""},
		{"embeddinggemma", "title: none | text: ", "task: search result | query: "},
		{"embeddinggemma", "", ""},
		{"all-minilm", "", ""},
		{"all-minilm", "search_document: ", ""},
	} {
		c := salvo.Collection{Model: tc.model, Prefix: tc.doc}
		if got := search.QueryPrefixFor(c); got != tc.want {
			t.Errorf("QueryPrefixFor(%q, document prefix %q) = %q, want %q", tc.model, tc.doc, got, tc.want)
		}
		if p := search.PrefixesOf(c); p.Document != tc.doc || p.Query != tc.want {
			t.Errorf("PrefixesOf(%q, %q) = %+v", tc.model, tc.doc, p)
		}
	}
}
