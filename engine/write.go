package engine

import (
	"context"
	"errors"
	"time"

	"github.com/salvoembed/salvo"
)

// maxGroup bounds the texts one commit holds. When answers reach the
// writer faster than it commits them, the outcomes waiting are committed
// together until a commit holds maxGroup texts or more: a commit costs the
// store about as much for one batch as for several (the pages of its
// indexes rewritten, a segment of the words index, a sync), so a writer
// that falls behind catches up. A kill loses at most the group in flight,
// which the next run embeds again.
const maxGroup = 4096

// A group of fewer than minGroup texts waits for more while they come: it
// is committed once groupWait passes with nothing new, or groupMax after
// its first outcome. When answers come fast (a server that answers at
// once) that makes commits of several batches rather than one: on SQLite,
// each commit rewrites the pages of the cache's key index, which hold keys
// in hash order. When they come slowly it delays each commit by groupWait,
// which is nothing next to a request.
const (
	minGroup  = 512
	groupWait = 10 * time.Millisecond
	groupMax  = 100 * time.Millisecond
)

// groupTimer starts a wait of groupWait, or d if shorter, for a group's
// next outcome (a variable, for tests).
var groupTimer = func(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(min(d, groupWait))
	return t.C, func() { t.Stop() }
}

// write commits outcomes to the store, one transaction per group of the
// outcomes waiting (see maxGroup), and reports failed records. It runs in
// a single goroutine and drains results to the end even after a
// cancellation, so in-flight writes are finished. A store that fails is
// fatal: write returns at once, which stops the other stages.
func (r *run) write(ctx context.Context, results <-chan *outcome) error {
	w := &writeBuf{}
	stored, _ := r.cfg.Failures.(StoredSink)
	var held *outcome // the resolver's outcome that ended a group: settled next
	for {
		o := held
		held = nil
		if o == nil {
			var ok bool
			if o, ok = <-results; !ok {
				return nil
			}
		}
		if o.groups == nil {
			if err := r.settle(ctx, o, stored); err != nil {
				return err
			}
			continue
		}
		group, n := append(w.group[:0], o), len(o.groups)
		var deadline time.Time // groupMax after the group's first wait
	more:
		for n < maxGroup {
			var o *outcome
			var ok bool
			select {
			case o, ok = <-results:
			default:
				if n >= minGroup {
					break more
				}
				now := time.Now()
				if deadline.IsZero() {
					deadline = now.Add(groupMax)
				}
				if !now.Before(deadline) {
					break more
				}
				due, stop := groupTimer(deadline.Sub(now))
				select {
				case o, ok = <-results:
					stop()
				case <-due:
					break more
				}
			}
			if !ok {
				break more // the next receive sees it closed too
			}
			if o.groups == nil {
				held = o
				break more
			}
			group, n = append(group, o), n+len(o.groups)
		}
		w.group = group
		if err := r.commit(ctx, w, stored); err != nil {
			return err
		}
		clear(w.group) // the vectors may go
	}
}

// writeBuf holds what write reuses from one commit to the next.
type writeBuf struct {
	group   []*outcome
	entries []salvo.Entry
	items   []salvo.Item
}

// commit stores the vectors of w.group's outcomes and their records in one
// Put, then counts them and reports the texts that failed.
func (r *run) commit(ctx context.Context, w *writeBuf, stored StoredSink) error {
	entries, items := w.entries[:0], w.items[:0]
	var failed []*group
	var failedErr []error
	var truncated int64
	var settled []settledRef

	// Hold the dedup lock across the commit: a record resolved now
	// either joins a group below or finds its vector committed.
	r.dedup.mu.Lock()
	for _, o := range w.group {
		for i, g := range o.groups {
			if o.vecs[i] == nil {
				failed = append(failed, g)
				failedErr = append(failedErr, o.errs[i])
				continue
			}
			if errors.Is(o.errs[i], salvo.ErrTruncated) {
				truncated += countRefs(g.refs)
			}
			entries = append(entries, salvo.Entry{Key: g.key, Vector: o.vecs[i], Text: g.text})
			first := true
			for _, rf := range g.refs {
				if r.superseded(rf) {
					settled = append(settled, settledRef{rf, classNone})
					continue
				}
				items = append(items, rf.item(g.key))
				c := classCached
				if first {
					c = classEmbedded
				}
				settled = append(settled, settledRef{rf, c})
				first = false
			}
		}
	}
	err := r.cfg.Store.Put(ctx, r.cfg.Collection, entries, items)
	for _, o := range w.group {
		for _, g := range o.groups {
			delete(r.dedup.groups, g.key)
		}
	}
	r.dedup.mu.Unlock()
	clear(entries) // no vector kept past its commit
	w.entries, w.items = entries[:0], items[:0]
	if err != nil {
		return &FatalError{err}
	}
	// Counted once committed, so that every count is true of the store
	// even after an interruption: a group's first record is embedded,
	// the duplicates that shared its request are cached.
	// A record cut into pieces counts once all its pieces are.
	for _, sr := range settled {
		r.tallyRef(sr.rf, sr.c)
	}
	r.c.Truncated.Add(truncated)
	if stored != nil {
		for _, o := range w.group {
			for i, g := range o.groups {
				if o.vecs[i] != nil {
					for _, rf := range g.refs {
						stored.Stored(rf.id, rf.where)
					}
				}
			}
		}
	}
	for i, g := range failed {
		for _, rf := range g.refs {
			if !r.tallyRef(rf, classFailed) {
				continue // another piece of its record failed already
			}
			if err := r.fail(Failure{ID: rf.id, Where: rf.where, Stage: StageEmbed, Error: failedErr[i].Error(), Err: failedErr[i], Text: g.text}); err != nil {
				return err
			}
		}
	}
	return nil
}

// settle handles an outcome of the resolver: failures to report, records
// found stored already, and items to link to cached vectors.
func (r *run) settle(ctx context.Context, o *outcome, stored StoredSink) error {
	for _, f := range o.fails {
		if err := r.fail(f); err != nil {
			return err
		}
	}
	linked := o.linked // the records found cached: stored, or superseded by a later one
	if len(o.links) > 0 {
		links, refs, superseded := o.links[:0:0], o.linked[:0:0], o.linked[:0:0]
		for i, it := range o.links {
			if r.superseded(o.linked[i]) {
				superseded = append(superseded, o.linked[i])
				r.tallyRef(o.linked[i], classNone)
				continue
			}
			links, refs = append(links, it), append(refs, o.linked[i])
		}
		refs, err := r.putLinks(ctx, links, refs)
		if err != nil {
			return err
		}
		linked = append(superseded, refs...)
	}
	if stored != nil {
		for _, refs := range [][]ref{o.stored, linked} {
			for _, rf := range refs {
				stored.Stored(rf.id, rf.where)
			}
		}
	}
	return nil
}

// superseded reports whether a later record of the run has rf's ID and
// Config.OnDuplicate is DuplicateLast: rf must not be written.
func (r *run) superseded(rf ref) bool {
	if r.cfg.OnDuplicate != DuplicateLast {
		return false
	}
	l := r.latest
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seq) == 0 {
		return false
	}
	n, ok := l.seq[r.ids.hash(rf.id)]
	return ok && n != rf.seq
}

// putLinks stores links, the records found cached (refs are theirs), and
// returns the refs of those it stored. A vector removed from the cache
// since the lookup found it (a garbage collection of the store) fails its
// records, which the next run embeds; the others are stored.
func (r *run) putLinks(ctx context.Context, links []salvo.Item, refs []ref) ([]ref, error) {
	for len(links) > 0 {
		err := r.cfg.Store.Put(ctx, r.cfg.Collection, nil, links)
		var nc *salvo.NotCachedError
		if !errors.As(err, &nc) {
			if err != nil {
				return nil, &FatalError{err}
			}
			break
		}
		gone := make(map[salvo.Key]bool, len(nc.Keys))
		for _, k := range nc.Keys {
			gone[k] = true
		}
		keptLinks, keptRefs := links[:0:0], refs[:0:0]
		for i, it := range links {
			if !gone[it.Key] {
				keptLinks, keptRefs = append(keptLinks, it), append(keptRefs, refs[i])
				continue
			}
			if !r.tallyRef(refs[i], classFailed) {
				continue // another piece of its record failed already
			}
			f := Failure{ID: it.ID, Where: refs[i].where, Stage: StageEmbed, Err: err,
				Error: "its cached vector was removed from the store (garbage collection) after the run looked it up; the next run embeds it"}
			if err := r.fail(f); err != nil {
				return nil, err
			}
		}
		if len(keptLinks) == len(links) {
			return nil, &FatalError{err} // the store named keys the call did not hold
		}
		links, refs = keptLinks, keptRefs
	}
	for _, rf := range refs {
		r.tallyRef(rf, classCached) // a long record counts once all its pieces are
	}
	return refs, nil
}

// settledRef is a record or piece committed by a write, and how it counts.
type settledRef struct {
	rf ref
	c  pieceClass
}
