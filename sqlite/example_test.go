package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/sqlite"
)

func Example() {
	dir, err := os.MkdirTemp("", "salvo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(dir, "movies.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if _, err := st.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "nomic-embed-text"}); err != nil {
		log.Fatal(err)
	}

	spec := salvo.KeySpec{Model: "nomic-embed-text"}
	heat := salvo.Item{ID: "tt0113277", Key: spec.Key("Heat (1995): a crew of thieves…")}
	err = st.Put(ctx, "movies",
		[]salvo.Entry{{Key: heat.Key, Vector: []float32{0.6, 0.8}, Text: "Heat (1995): a crew of thieves…"}},
		[]salvo.Item{heat})
	if err != nil {
		log.Fatal(err)
	}

	// A second run looks its records up before embedding anything.
	items := []salvo.Item{
		heat,                                  // unchanged
		{ID: "tt0113277-copy", Key: heat.Key}, // the same text under another ID
		{ID: "tt0114369", Key: spec.Key("Se7en (1995): two…")}, // new
	}
	out := make([]salvo.Presence, len(items))
	if err := st.Lookup(ctx, "movies", items, out); err != nil {
		log.Fatal(err)
	}
	for i, p := range out {
		fmt.Println(items[i].ID, []string{"missing", "cached", "stored"}[p])
	}
	// Output:
	// tt0113277 stored
	// tt0113277-copy cached
	// tt0114369 missing
}
