package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/tools/moviegen"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/serve"
	"github.com/salvoembed/salvo/sqlite"
)

// vectorEmbedder embeds as ollamatest does, in process.
type vectorEmbedder struct{ model string }

func (e vectorEmbedder) Embed(_ context.Context, texts []string) (*salvo.Embedding, error) {
	out := &salvo.Embedding{Vectors: make([][]float32, len(texts))}
	for i, t := range texts {
		out.Vectors[i] = ollamatest.Vector(e.model, t, 384)
	}
	return out, nil
}

// TestServeHeapUnderLoad: a server over 20,000 × 384 vectors answers 320
// hybrid and vector searches from 32 clients at once, and then holds
// little on the Go heap: the vectors are mapped from the vector file and
// the int8 copy lives outside the heap, where it would double the
// collector's goal (the heap grew by more than the copy's 7.7 MB before).
func TestServeHeapUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 20,000 records")
	}
	const n, dims, model = 20000, 384, "all-minilm"
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "movies.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: model, Endpoint: "/api/embed", Keep: "title,year"}); err != nil {
		t.Fatal(err)
	}
	g := moviegen.New(1)
	for i := 0; i < n; i += 1000 {
		var (
			entries []salvo.Entry
			items   []salvo.Item
		)
		for j := i; j < i+1000; j++ {
			m := g.Next()
			text := fmt.Sprintf("%s (%d)", m.Title, m.Year)
			key := salvo.KeySpec{Model: model}.Key(text)
			f, _ := json.Marshal(map[string]any{"title": m.Title, "year": m.Year})
			entries = append(entries, salvo.Entry{Key: key, Vector: ollamatest.Vector(model, text, dims), Text: text})
			items = append(items, salvo.Item{ID: fmt.Sprint(j + 1), Key: key, Fields: f})
		}
		if err := st.Put(ctx, "movies", entries, items); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Index(ctx, "movies"); err != nil { // the vector file, as salvo embed writes it
		t.Fatal(err)
	}
	st.Close()
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	hs := httptest.NewServer(serve.New(ro, serve.Options{Embedder: func(context.Context, salvo.Collection) (salvo.Embedder, error) {
		return vectorEmbedder{model}, nil
	}}))
	defer hs.Close()
	get := func(u string) error {
		resp, err := http.Get(hs.URL + u)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		return nil
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	before := heap()
	var wg sync.WaitGroup
	errs := make(chan error, 320)
	for c := range 32 {
		wg.Go(func() {
			for i := range 10 {
				mode := "hybrid"
				if i%2 == 1 {
					mode = "vector"
				}
				errs <- get(fmt.Sprintf("/api/search?collection=movies&mode=%s&k=10&q=heist+comedy+%d", mode, 1980+c))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := get("/api/similar?collection=movies&id=1&k=10"); err != nil { // the int8 copy is built by now
		t.Fatal(err)
	}
	grown := int64(heap()) - int64(before)
	t.Logf("the heap grew by %d bytes under load", grown)
	const copySize = n * dims // int8s
	if grown > copySize/2 {
		t.Errorf("after 320 searches the heap holds %d bytes more than before, want under %d (half the int8 copy)", grown, copySize/2)
	}
}
