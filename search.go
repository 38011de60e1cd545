package salvo

import "context"

// Hit is a search result: a record of the collection and its cosine
// similarity to the query (a dot product: stored vectors are unit length).
type Hit struct {
	ID    string  `json:"id"`
	Score float32 `json:"score"`
}

// Doc is what a collection keeps of a record besides its vector.
type Doc struct {
	ID     string
	Text   string // the text that was embedded, with the collection's prefix
	Fields []byte // JSON object of the kept fields (Collection.Keep); nil when none
}

// The interfaces below are parts of the store's contract (see [FullStore]):
// DocReader is required; the others are optional: a [Store] implements
// those it can, and salvo's search checks for them with a type assertion.

// VectorReader reads a whole collection at once, for an in-memory scan:
// the IDs in ascending byte order and their vectors one after another in
// one slice of len(ids) × dims float32s. A store without it is read with
// [Store.Each].
type VectorReader interface {
	Vectors(ctx context.Context, collection string) (ids []string, vectors []float32, dims int, err error)
}

// DocReader returns what is kept of the records with the given IDs, in the
// order asked; an ID that is not stored gets a Doc with only its ID.
// Required: the kept fields and texts have no other way out of a store.
type DocReader interface {
	Docs(ctx context.Context, collection string, ids []string) ([]Doc, error)
}

// Searcher is a store that ranks a collection itself, such as PostgreSQL
// with pgvector: salvo then sends it the query vector instead of loading
// the vectors. Search returns the k items most similar to query, best
// first, leaving out the item whose ID is exclude (when not empty). A store
// that cannot rank this collection itself (PostgreSQL without pgvector)
// returns an error wrapping errors.ErrUnsupported, and salvo loads the
// vectors and scans them exactly.
type Searcher interface {
	Search(ctx context.Context, collection string, query []float32, k int, exclude string) ([]Hit, error)
}

// ItemVectorReader reads one stored item's vector, so that salvo similar
// on a [Searcher] needs no scan of the collection. The vector is nil (and
// the error too) when the collection has no item with that ID.
type ItemVectorReader interface {
	ItemVector(ctx context.Context, collection, id string) ([]float32, error)
}
