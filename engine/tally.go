package engine

import "sync"

// outcome of one record or piece, in the order in which a record's
// pieces add up: a record counts as the highest outcome of its pieces.
type pieceClass uint8

const (
	classNone     pieceClass = iota // superseded by a later record: not counted
	classStored                     // stored already: unchanged (and cached)
	classCached                     // its vector was cached
	classEmbedded                   // embedded in this run
	classFailed                     // failed
)

// tallies follow the records cut into pieces until every piece is
// settled, so that each counts once: failed as soon as one piece fails
// (the failures sink then gets one line for the record), else, once all
// pieces are stored, as the highest outcome of its pieces.
type tallies struct {
	mu sync.Mutex
	m  map[int64]*tally // by the record's number in the run
}

type tally struct {
	left  int // pieces not settled yet
	class pieceClass
}

// count adds a record of class c to the run's counters.
func (r *run) count(c pieceClass) {
	switch c {
	case classStored:
		r.c.Unchanged.Add(1)
		r.c.Cached.Add(1)
	case classCached:
		r.c.Cached.Add(1)
	case classEmbedded:
		r.c.Embedded.Add(1)
	}
}

// tallyRef counts rf's record or piece as c (a failure is not counted: see
// fail) and reports whether rf is to be reported as a failure: a whole
// record that failed, or the first piece of a record to fail.
func (r *run) tallyRef(rf ref, c pieceClass) (fail bool) {
	if rf.chunk == nil {
		if c == classFailed {
			return true
		}
		r.count(c)
		return false
	}
	t := &r.tally
	t.mu.Lock()
	if t.m == nil {
		t.m = map[int64]*tally{}
	}
	tl := t.m[rf.seq]
	if tl == nil {
		tl = &tally{left: rf.chunk.Count}
		t.m[rf.seq] = tl
	}
	tl.left--
	was := tl.class
	tl.class = max(tl.class, c)
	done := tl.left <= 0
	if done {
		delete(t.m, rf.seq)
	}
	t.mu.Unlock()
	if c == classFailed {
		return was != classFailed
	}
	if done && tl.class != classFailed {
		r.count(tl.class)
	}
	return false
}
