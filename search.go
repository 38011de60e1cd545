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

// Cond is one condition on a kept field, as salvo's filters (package
// search, --where) parse it: Op is "=", "!=", "<", "<=", ">", ">=", "~"
// or "in"; Values holds one value, or the list of in. A value compares
// with a field's value as numbers (float64) when both parse as numbers
// (strconv.ParseFloat), else as strings byte by byte; ~ is a substring
// after strings.ToLower of both. On a list field a condition holds when it
// holds for an element, except !=, which must hold for every element; a
// missing or null field satisfies only !=. Numbers are compared in the
// text the record was written with, booleans as true and false.
type Cond struct {
	Field  string
	Op     string
	Values []string
}

// FilterSearcher is a [Searcher] that filters in the store, such as
// PostgreSQL with pgvector. SearchWhere is Search among the items whose
// kept fields satisfy every condition of where, filtered before ranking:
// it returns k hits whenever k items match. A store that cannot decide a
// condition exactly for an item it would return (a value it cannot
// compare as salvo does) returns an error wrapping errors.ErrUnsupported,
// and salvo scans the vectors itself.
type FilterSearcher interface {
	Searcher
	SearchWhere(ctx context.Context, collection string, query []float32, k int, exclude string, where []Cond) ([]Hit, error)
}

// ItemVectorReader reads one stored item's vector, so that salvo similar
// on a [Searcher] needs no scan of the collection. The vector is nil (and
// the error too) when the collection has no item with that ID.
type ItemVectorReader interface {
	ItemVector(ctx context.Context, collection, id string) ([]float32, error)
}
