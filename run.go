package salvo

import (
	"context"
	"encoding/json"
	"time"
)

// Run is one entry of a store's run ledger: what a salvo run did, kept in
// the database next to the vectors it produced.
type Run struct {
	ID         int64           `json:"id"` // set by the store
	Collection string          `json:"collection"`
	Model      string          `json:"model"`
	Started    time.Time       `json:"started"`
	Finished   time.Time       `json:"finished"`
	Stats      json.RawMessage `json:"stats,omitempty"` // any JSON value; null or empty is stored as {}
	Args       []string        `json:"args,omitempty"`  // the command line
}

// Hit is a search result: a record ID and its cosine similarity to the
// query.
type Hit struct {
	ID    string  `json:"id"`
	Score float32 `json:"score"`
}

// Searcher is implemented by stores that find nearest neighbours
// themselves, with an index in the database (PostgreSQL with pgvector).
// Search returns the k items of the collection most similar to query by
// cosine similarity, best first. A store that cannot search a collection
// this way returns an error wrapping errors.ErrUnsupported, and the caller
// searches exactly.
type Searcher interface {
	Search(ctx context.Context, collection string, query []float32, k int) ([]Hit, error)
}
