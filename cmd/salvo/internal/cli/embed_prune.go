package cli

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
)

// pruneLimit is --prune-max: how much of a collection --prune may delete,
// as a count or as a percentage of the collection's records.
type pruneLimit struct {
	n       int64   // a count, when !percent
	pct     float64 // a percentage, when percent
	percent bool
}

func (l *pruneLimit) String() string {
	if l.percent {
		return strconv.FormatFloat(l.pct, 'f', -1, 64) + "%"
	}
	return strconv.FormatInt(l.n, 10)
}

func (l *pruneLimit) Type() string { return "N|N%" }

// Set parses a count (N) or a percentage (N%, 0 to 100).
func (l *pruneLimit) Set(s string) error {
	t := strings.TrimSpace(s)
	if num, ok := strings.CutSuffix(t, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
			return fmt.Errorf("%q: give a count of records (e.g. 100) or a percentage from 0%% to 100%% (e.g. 50%%)", s)
		}
		*l = pruneLimit{pct: p, percent: true}
		return nil
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q: give a count of records (e.g. 100) or a percentage from 0%% to 100%% (e.g. 50%%)", s)
	}
	*l = pruneLimit{n: n}
	return nil
}

// allows reports whether deleting del of a collection of total records is
// within the limit.
func (l *pruneLimit) allows(del, total int64) bool {
	if l.percent {
		return float64(del)*100 <= l.pct*float64(total)
	}
	return del <= l.n
}

// checkPrune refuses the flags that --prune cannot honour.
func checkPrune(f *embedFlags, changed func(string) bool) error {
	switch {
	case !f.prune:
		if changed("prune-max") {
			return usageError("--prune-max without --prune: it bounds what --prune deletes; add --prune")
		}
		return nil
	case f.limit > 0:
		return usageError("--prune with --limit: --limit %d reads only part of the input, and --prune would delete every record past it; drop --limit (or --prune)", f.limit)
	case f.distributed:
		return usageError("--prune with --distributed is not supported yet: each process reads only its jobs' records; run the pruning pass once without --distributed")
	}
	return nil
}

// seenIDs notes the ID of every record a run reads, and whether it read
// them all: what --prune keeps.
type seenIDs struct {
	mu       sync.Mutex
	ids      map[string]struct{}
	records  int64 // records read, failed ones included
	unknown  int64 // records that failed before their ID was read
	complete bool  // the input was read to its end
}

// wrap returns recs, noting what the engine reads of them.
func (s *seenIDs) wrap(recs iter.Seq[engine.Input]) iter.Seq[engine.Input] {
	s.ids = make(map[string]struct{})
	return func(yield func(engine.Input) bool) {
		stopped := false
		for in := range recs {
			s.mu.Lock()
			s.records++
			if in.ID != "" {
				s.ids[in.ID] = struct{}{}
			} else if in.Err != nil {
				s.unknown++
			}
			s.mu.Unlock()
			if !yield(in) {
				stopped = true
				break
			}
		}
		s.mu.Lock()
		s.complete = !stopped
		s.mu.Unlock()
	}
}

// errPruneRefused marks a --prune that deleted nothing on purpose.
var errPruneRefused = errors.New("nothing pruned")

// prune deletes the records of the collection whose IDs the run did not
// read, and returns how many it deleted. The caller calls it only after a
// run that ended without an error or an interrupt.
func prune(ctx context.Context, limit pruneLimit, st store, collection string, seen *seenIDs) (int64, error) {
	seen.mu.Lock()
	defer seen.mu.Unlock()
	switch {
	case !seen.complete:
		return 0, fmt.Errorf("--prune: the run did not read all of its input; %w", errPruneRefused)
	case seen.records == 0:
		return 0, fmt.Errorf("--prune: the input has no records, and pruning would delete every record of collection %q; %w (check the input)", collection, errPruneRefused)
	case seen.unknown > 0:
		return 0, fmt.Errorf("--prune: %d records could not be read, so their IDs are unknown and any stored record may be one of them; %w: fix them (see the failures file) and run again", seen.unknown, errPruneRefused)
	}
	pr, ok := st.(salvo.Pruner)
	if !ok {
		return 0, fmt.Errorf("--prune: the store %s cannot delete records", st.Path())
	}
	stored, err := storedIDs(ctx, st, collection)
	if err != nil {
		return 0, err
	}
	var gone []string
	for id := range stored {
		if _, ok := seen.ids[id]; !ok {
			gone = append(gone, id)
		}
	}
	total := int64(len(stored))
	del := int64(len(gone))
	if del == 0 {
		return 0, nil
	}
	if !limit.allows(del, total) {
		return 0, fmt.Errorf("--prune would delete %d of the %d records of collection %q (%.0f%%), more than --prune-max %s; %w. If the input is complete, allow it with --prune-max %d (or --prune-max 100%%)",
			del, total, collection, float64(del)*100/float64(total), limit.String(), errPruneRefused, del)
	}
	return pr.DeleteItems(ctx, collection, gone)
}

// storedIDs returns the IDs of the collection's records.
func storedIDs(ctx context.Context, st salvo.Store, collection string) (map[string]bool, error) {
	stored := make(map[string]bool)
	err := st.Each(ctx, collection, func(id string, _ []float32) error {
		stored[id] = true
		return nil
	})
	return stored, err
}
