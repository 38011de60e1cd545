package salvo

import (
	"context"
	"fmt"
	"slices"
)

// Collector removes the cached vectors that no record refers to any more
// (a record deleted, pruned, given another text, or its collection
// dropped). Optional: salvo gc and salvo status need it.
//
// Collect never removes a vector that a record refers to, nor one that a
// [Store.Put] writes: Put stores an entry and the items that refer to it in
// one transaction, and Collect looks for unreferenced vectors in
// transactions of its own. A run that found a vector cached ([Store.Lookup])
// just before Collect removed it gets a *[NotCachedError] from Put, for
// those records only.
type Collector interface {
	// Garbage says what Collect would free, without deleting anything.
	Garbage(ctx context.Context) (Garbage, error)
	// Collect deletes the cached vectors that no record refers to and
	// says what it freed.
	Collect(ctx context.Context) (Garbage, error)
}

// Garbage is an amount of cached vectors no record refers to.
type Garbage struct {
	Rows  int64 `json:"rows"`  // cached vectors
	Bytes int64 `json:"bytes"` // their vectors, texts and keys, in bytes
}

// NotCachedError is a [Store.Put] refused because items refer to keys that
// are neither among its entries nor in the cache: a vector removed (by
// [Collector.Collect]) after a lookup found it. Nothing of that Put is
// stored; the records must be embedded again.
type NotCachedError struct {
	Collection string
	Keys       []Key // the keys missing, each once
}

// With returns e with k among its keys; on a nil e, a new error of
// collection. A store's Put gathers the keys it misses with it.
func (e *NotCachedError) With(collection string, k Key) *NotCachedError {
	if e == nil {
		e = &NotCachedError{Collection: collection}
	}
	if !slices.Contains(e.Keys, k) {
		e.Keys = append(e.Keys, k)
	}
	return e
}

func (e *NotCachedError) Error() string {
	return fmt.Sprintf("store in collection %q: %d of the items refer to vectors that are neither given nor cached (first key %x): removed from the cache after they were looked up", e.Collection, len(e.Keys), e.Keys[0][:8])
}
