package engine

import (
	"context"
	"sync"

	"github.com/salvoembed/salvo"
)

// ref is a record waiting for a vector.
type ref struct {
	id, where string
	seq       int64  // the record's number in the run, from 1 (for DuplicateLast)
	fields    []byte // kept fields, a JSON object or nil
	// chunk is nil for a whole record, else the piece of it this is.
	chunk *salvo.Chunk
}

// chunk is what the reader hands the resolver: records to look up, and
// failures for the writer to report (the failures sink is called from the
// writer only).
type chunk struct {
	recs  []pending
	fails []Failure
	// idle: the input paused, so the resolver sends its partial batch
	// instead of waiting for a full one (a slow stream still gets embedded).
	idle bool
}

// pending is a record whose text is rendered and hashed.
type pending struct {
	ref
	text string
	key  salvo.Key
}

// group is one distinct text in flight and every record waiting for it, so
// that duplicate texts under different IDs cost one request.
type group struct {
	key  salvo.Key
	text string
	refs []ref
}

// batch is a request's worth of distinct texts.
type batch struct {
	groups []*group
}

func (b *batch) texts() []string {
	t := make([]string, len(b.groups))
	for i, g := range b.groups {
		t[i] = g.text
	}
	return t
}

// outcome is what the writer receives: the result of a batch (vecs[i] or
// errs[i] for groups[i]); or items whose vectors are already cached
// (links[i] for linked[i]), records found stored already, and failures
// to report.
type outcome struct {
	groups []*group
	vecs   [][]float32
	errs   []error
	links  []salvo.Item
	linked []ref
	stored []ref
	fails  []Failure
}

// dedup holds the groups in flight. The resolver adds to it; the writer
// removes a group only after the group's vector is committed, holding the
// lock across the commit, so a record resolved at any moment either joins a
// group in flight or finds the vector in the store.
type dedup struct {
	mu     sync.Mutex
	groups map[salvo.Key]*group
}

// resolve looks each chunk up in the store, sends items with cached vectors
// to the writer, and batches the rest.
func (r *run) resolve(ctx context.Context, chunks <-chan *chunk, batches chan<- *batch, results chan<- *outcome) error {
	cur := &batch{}
	send := func() bool {
		if len(cur.groups) == 0 {
			return true
		}
		select {
		case batches <- cur:
			cur = &batch{}
			return true
		case <-ctx.Done():
			return false
		}
	}
	var solo []*batch // texts that may exceed the model's context go alone
	items := make([]salvo.Item, 0, lookupChunk)
	presence := make([]salvo.Presence, lookupChunk)
	seen := 0 // records resolved so far
	for ch := range chunks {
		chunk := ch.recs
		seen += len(chunk) + len(ch.fails)
		// Records whose text is already in flight join its group.
		rest := chunk[:0]
		r.dedup.mu.Lock()
		for _, p := range chunk {
			if g, ok := r.dedup.groups[p.key]; ok {
				g.refs = append(g.refs, p.ref) // counted as cached by the writer, once stored
				continue
			}
			rest = append(rest, p)
		}
		r.dedup.mu.Unlock()

		if cap(presence) < len(rest) { // a long record's pieces
			presence = make([]salvo.Presence, len(rest))
		}
		presence = presence[:len(rest)]
		clear(presence)
		if !r.cfg.Force && len(rest) > 0 {
			items = items[:0]
			for _, p := range rest {
				items = append(items, salvo.Item{ID: p.id, Key: p.key, Chunk: p.chunk})
			}
			if err := r.cfg.Store.Lookup(ctx, r.cfg.Collection, items, presence); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return &FatalError{err}
			}
		}

		o := &outcome{fails: ch.fails}
		solo = solo[:0]
		r.dedup.mu.Lock()
		for i, p := range rest {
			if presence[i] == salvo.Stored && p.chunk == nil {
				r.c.Unchanged.Add(1)
			}
			switch {
			case presence[i] == salvo.Stored && !r.cfg.Reembed:
				if p.chunk == nil {
					r.c.Cached.Add(1)
				} else {
					r.tallyRef(p.ref, classStored) // counted with its record's other pieces
				}
				o.stored = append(o.stored, p.ref)
			case presence[i] != salvo.Missing:
				o.links = append(o.links, p.item(p.key))
				o.linked = append(o.linked, p.ref)
			default:
				if g, ok := r.dedup.groups[p.key]; ok { // a duplicate within this chunk
					g.refs = append(g.refs, p.ref)
					continue
				}
				g := &group{key: p.key, text: p.text, refs: []ref{p.ref}}
				r.dedup.groups[p.key] = g
				if p.chunk == nil && r.mightTruncate(p.text) && !r.fits(p.text) {
					solo = append(solo, &batch{groups: []*group{g}})
					continue
				}
				cur.groups = append(cur.groups, g)
			}
		}
		r.dedup.mu.Unlock()

		if len(o.links) > 0 || len(o.stored) > 0 || len(o.fails) > 0 {
			select {
			case results <- o:
			case <-ctx.Done():
				return nil
			}
		}
		for _, b := range solo {
			select {
			case batches <- b:
			case <-ctx.Done():
				return nil
			}
		}
		for size := r.batchSize(seen, len(cur.groups)); len(cur.groups) >= size; size = r.batchSize(seen, len(cur.groups)) {
			full := cur
			cur = &batch{groups: full.groups[size:]}
			full.groups = full.groups[:size:size]
			select {
			case batches <- full:
			case <-ctx.Done():
				return nil
			}
		}
		if ch.idle && !send() {
			return nil
		}
	}
	send()
	return nil
}

// mightTruncate reports whether text may be longer than the model's context.
// Such a text is sent alone: Ollama truncates silently, and only the token
// count of a single-text request (prompt_eval_count at the limit) tells.
// A token covers at least one byte, and the model adds up to two special
// tokens, so a shorter text cannot reach the limit.
func (r *run) mightTruncate(text string) bool {
	return r.cfg.ContextTokens > 0 && r.cfg.Key.Truncate && len(text)+2 >= r.cfg.ContextTokens
}

// minTailBatch is the smallest batch the tail is cut into: below it, the
// server's cost per request outweighs what is gained.
const minTailBatch = 8

// batchSize is the size of the next batch. Near the end of a run whose total
// is known (Counters.Total) and whose batch size is automatic, batches shrink so that the last ones finish together: a final
// wave of full batches would leave most of the server's slots idle while
// the last few requests run.
func (r *run) batchSize(seen, pending int) int {
	size := r.batchMax()
	total := r.c.Total.Load()
	if r.cfg.BatchSize > 0 || total <= 0 || r.cfg.Limit > 0 && int64(r.cfg.Limit) < total {
		return size
	}
	inFlight := 0
	for _, l := range r.limits {
		inFlight += l.Limit()
	}
	remaining := int(total) - seen + pending
	if remaining >= 2*inFlight*size {
		return size
	}
	return max(minTailBatch, min(size, (remaining+2*inFlight-1)/(2*inFlight)))
}

// batchMax is the largest batch size the hosts call for: the resolver cuts
// batches of it, and a slower host's worker takes only its own share (see
// work).
func (r *run) batchMax() int {
	size := 0
	for _, b := range r.batchers {
		size = max(size, b.Size())
	}
	return size
}
