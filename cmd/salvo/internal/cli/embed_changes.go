package cli

import (
	"context"

	"github.com/salvoembed/salvo"
)

// Changes is what a run did to its collection's records.
type Changes struct {
	Added   int64 `json:"added"`   // IDs the collection did not have
	Updated int64 `json:"updated"` // IDs stored again with another text or model (every stored ID with --force)
	// Deleted counts the records --prune deleted: IDs the input lacked.
	Deleted int64 `json:"deleted"`
}

// changes splits the records the run stored into added and updated: the
// collection grew by the added ones (nothing is deleted), and the rest of
// what was stored, less the unchanged records, was updated. had is the
// collection's record count before the run.
func (r *embedReport) changes(st store, had int) {
	written := r.Embedded + r.Cached - r.Unchanged
	c, err := salvo.FindCollection(context.Background(), st, r.Collection)
	if err != nil {
		return
	}
	r.Added = min(max(0, int64(c.Count-had)), max(0, written))
	r.Updated = max(0, written-r.Added)
}
