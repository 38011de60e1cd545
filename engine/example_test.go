package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/sqlite"
)

// Embed three records into a SQLite collection, then run again: the second
// run finds everything stored and sends no request.
func ExampleRun() {
	srv := ollamatest.New(ollamatest.Config{}) // stands in for http://127.0.0.1:11434
	defer srv.Close()

	client, err := ollama.New(srv.URL(), ollama.Options{Model: "nomic-embed-text"})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "salvo-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "movies.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if _, err := store.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "nomic-embed-text"}); err != nil {
		log.Fatal(err)
	}

	cfg := engine.Config{
		Hosts:      []engine.Host{{Name: srv.URL(), Embedder: client, Concurrency: 2}},
		Store:      store,
		Collection: "movies",
		Key:        salvo.KeySpec{Model: "nomic-embed-text"},
		Retries:    engine.DefaultRetries,
	}
	movies := []engine.Input{
		{ID: "1", Text: "The Last Harbor (1998): a lighthouse keeper and a storm."},
		{ID: "2", Text: "Midnight in Kestrel Bay (2004): a heist by the sea."},
		{ID: "3", Text: "The Last Harbor (1998): a lighthouse keeper and a storm."}, // same text, another ID
	}
	for range 2 {
		rep, err := engine.Run(ctx, cfg, slices.Values(movies))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("embedded %d, cached %d, failed %d, requests %d\n", rep.Embedded, rep.Cached, rep.Failed, rep.Requests)
	}
	// Output:
	// embedded 2, cached 1, failed 0, requests 1
	// embedded 0, cached 3, failed 0, requests 0
}
