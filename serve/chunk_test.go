package serve_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/serve"
	"github.com/salvoembed/salvo/sqlite"
)

// The API gives the passage that matched a long record, and the page
// shows it under the result.
func TestPassage(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "/api/embed"}); err != nil {
		t.Fatal(err)
	}
	spec := salvo.KeySpec{Model: "m"}
	es := []salvo.Entry{
		{Key: spec.Key("whole"), Vector: []float32{1, 0, 0}, Text: "whole"},
		{Key: spec.Key("first"), Vector: []float32{0, 1, 0}, Text: "first"},
		{Key: spec.Key("second"), Vector: []float32{0.9, 0.1, 0}, Text: "second"},
	}
	err = st.Put(ctx, "c", es, []salvo.Item{{ID: "w", Key: es[0].Key},
		{ID: "long", Key: es[1].Key, Chunk: &salvo.Chunk{Index: 0, Count: 2, Start: 0, End: 5}},
		{ID: "long", Key: es[2].Key, Chunk: &salvo.Chunk{Index: 1, Count: 2, Start: 4, End: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(serve.New(st, serve.Options{}))
	t.Cleanup(hs.Close)
	var got struct {
		Results []struct {
			ID    string `json:"id"`
			Chunk *struct {
				Index, Start, End int
				Text              string
			} `json:"chunk"`
		} `json:"results"`
	}
	get(t, hs.URL+"/api/similar?collection=c&id=w", 200, &got)
	if len(got.Results) != 1 || got.Results[0].ID != "long" || got.Results[0].Chunk == nil ||
		got.Results[0].Chunk.Index != 1 || got.Results[0].Chunk.Start != 4 || got.Results[0].Chunk.Text != "second" {
		t.Fatalf("similar to w: %+v", got.Results)
	}
	if code, page := getHost(t, hs.URL, "/", ""); code != 200 || !strings.Contains(page, "r.chunk.text") {
		t.Fatal("the page does not show the passage of a result")
	}
}
