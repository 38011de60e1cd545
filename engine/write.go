package engine

import (
	"context"
	"errors"

	"github.com/salvoembed/salvo"
)

// write commits outcomes to the store, one transaction each, and reports
// failed records. It runs in a single goroutine and drains results to the
// end even after a cancellation, so in-flight writes are finished. A store
// that fails is fatal: write returns at once, which stops the other stages.
func (r *run) write(ctx context.Context, results <-chan *outcome) error {
	var entries []salvo.Entry
	var items []salvo.Item
	for o := range results {
		if o.links != nil {
			if err := r.cfg.Store.Put(ctx, r.cfg.Collection, nil, o.links); err != nil {
				return &FatalError{err}
			}
			r.c.Cached.Add(int64(len(o.links)))
			continue
		}
		entries, items = entries[:0], items[:0]
		var failed []*group
		var failedErr []error
		var embedded, truncated int64

		// Hold the dedup lock across the commit: a record resolved now
		// either joins a group below or finds its vector committed.
		r.dedup.mu.Lock()
		for i, g := range o.groups {
			if o.vecs[i] == nil {
				failed = append(failed, g)
				failedErr = append(failedErr, o.errs[i])
				continue
			}
			if errors.Is(o.errs[i], salvo.ErrTruncated) {
				truncated += int64(len(g.refs))
			}
			entries = append(entries, salvo.Entry{Key: g.key, Vector: o.vecs[i], Text: g.text})
			for _, rf := range g.refs {
				items = append(items, salvo.Item{ID: rf.id, Key: g.key})
			}
			embedded++
		}
		err := r.cfg.Store.Put(ctx, r.cfg.Collection, entries, items)
		for _, g := range o.groups {
			delete(r.dedup.groups, g.key)
		}
		r.dedup.mu.Unlock()
		if err != nil {
			return &FatalError{err}
		}
		// Counted once committed: a record is "embedded" only when stored.
		// Duplicates that shared a request were counted as cached when they
		// joined the group.
		r.c.Embedded.Add(embedded)
		r.c.Truncated.Add(truncated)
		for i, g := range failed {
			for j, rf := range g.refs {
				if j > 0 {
					r.c.Cached.Add(-1) // it was counted when it joined; it failed instead
				}
				if err := r.fail(Failure{ID: rf.id, Where: rf.where, Stage: StageEmbed, Error: failedErr[i].Error(), Text: g.text}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
