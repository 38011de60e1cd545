package salvo

import "context"

// The store's contract, in one place. Every part of it is an interface of
// this package:
//
//   - required, checked by the conformance suite (package storetest), which
//     fails for a store that lacks one: [Store] (what the engine writes and
//     reads), [DocReader] (what search and export show), [CacheReader]
//     (what a write-back reads), [RunLedger] (what salvo status lists) and
//     [Describer] (what the commands name); [FullStore] is all of them;
//   - optional, found with a type assertion and checked by the suite where
//     a store has them: [VectorReader] (a whole collection at once, else
//     [Store.Each]), [ItemVectorReader], [Searcher], [FilterSearcher] and [Indexer] (a store
//     that ranks by itself, such as PostgreSQL with pgvector), [Pruner]
//     (what salvo embed --prune deletes with), [Aliaser] (salvo alias and
//     salvo drop, in alias.go), [Collector] (salvo gc, in gc.go),
//     [TextSearcher] (salvo search --mode text and hybrid), [WordsIndexer].

// FullStore is everything a store implements to serve every salvo command:
// the required parts of the contract.
type FullStore interface {
	Store
	DocReader
	CacheReader
	RunLedger
	Describer
}

// CacheReader gives back the content cache's vectors. Required: a
// write-back of vectors into the user's own table reads those of the
// records it need not embed again from here.
type CacheReader interface {
	// CachedVectors returns the cached vectors of keys; keys not in the
	// cache are absent from the map, and no keys give an empty map.
	CachedVectors(ctx context.Context, keys []Key) (map[Key][]float32, error)
}

// RunLedger keeps a store's run ledger: what each run did, next to the
// vectors it produced. Required.
type RunLedger interface {
	// RecordRun adds r to the ledger (r.ID is ignored: the store numbers
	// the runs).
	RecordRun(ctx context.Context, r RunRecord) error
	// Runs returns the runs of a collection, or of every collection when
	// collection is "", newest first (by Started, then by ID); at most
	// limit of them when limit > 0.
	Runs(ctx context.Context, collection string, limit int) ([]RunRecord, error)
}

// Describer names a store for messages. Required.
type Describer interface {
	Path() string     // the file, or the URL without its password
	Describe() string // where vectors are kept and how they are searched
}

// Indexer is a store that builds a search index of a collection once a run
// has stored it, such as PostgreSQL with pgvector (an HNSW index).
// Optional: salvo embed calls Index at the end of a run that succeeded.
type Indexer interface {
	Index(ctx context.Context, collection string) error
}

// Pruner deletes records from a collection. Optional: salvo embed --prune
// needs it.
type Pruner interface {
	// DeleteItems deletes the records of collection whose IDs are in ids,
	// in one transaction, and returns how many it deleted; IDs the
	// collection lacks are not an error. It deletes only the collection's
	// records, never the shared cache of vectors: another record, in this
	// collection or another, may refer to the same vector. A collection
	// that does not exist gives an error wrapping [ErrNoCollection].
	DeleteItems(ctx context.Context, collection string, ids []string) (int64, error)
}

// TextQuery is a search by words. Words are lower-case runs of letters and
// digits (as search.Words cuts a query), at least one.
type TextQuery struct {
	Words []string
	// Phrase keeps only the records that hold every word, in this order
	// and next to each other; without it a record holding any word is a
	// match.
	Phrase bool
}

// TextSearcher is a store that ranks a collection's records by words: a
// full-text index of each item's text and kept fields' values (SQLite
// FTS5 with BM25, PostgreSQL tsvector with ts_rank_cd), kept up to date in
// the transaction that stores the item (PostgreSQL) or brought up to date
// by the next search by words ([WordsIndexer], SQLite). Optional: salvo
// search --mode text and hybrid need it.
type TextSearcher interface {
	// TextSearch returns up to k matches of q in collection, best first,
	// with a score that is higher for a better match (comparable within
	// one answer only). A collection that does not exist gives an error
	// wrapping [ErrNoCollection].
	TextSearch(ctx context.Context, collection string, q TextQuery, k int) ([]Hit, error)
}

// WordsIndexer is a [TextSearcher] whose words index is brought up to date
// when it is searched, not in the transaction that stores an item: storing
// stays cheap, and a collection searched only by meaning never pays for
// the index. TextSearch indexes what is due first, and searches the index
// as it stands when that fails. Optional.
type WordsIndexer interface {
	// WordsDue returns how many items were stored or changed since the
	// index was last brought up to date.
	WordsDue(ctx context.Context) (int, error)
	// IndexWords indexes them, in one transaction, and returns how many.
	IndexWords(ctx context.Context) (int, error)
}
