package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// putLog is a store that records what each Put holds.
type putLog struct {
	salvo.Store
	puts [][]string // the item IDs of each Put, in order
	fail error
}

func (p *putLog) Put(_ context.Context, _ string, entries []salvo.Entry, items []salvo.Item) error {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	p.puts = append(p.puts, ids)
	return p.fail
}

// answered is an outcome of n texts named from first on, all embedded.
func answered(first, n int) *outcome {
	o := &outcome{}
	for i := range n {
		id := fmt.Sprint(first + i)
		o.groups = append(o.groups, &group{key: salvo.Key{byte(first + i)}, text: id, refs: []ref{{id: id}}})
		o.vecs = append(o.vecs, []float32{1})
		o.errs = append(o.errs, nil)
	}
	return o
}

// TestWriteGroupsWaitingOutcomes: the outcomes that wait for the writer go
// into one commit until it holds maxGroup texts, in the order they came; a
// resolver's outcome between them ends the group (its links are stored
// after the group's vectors). One Put per outcome before.
func TestWriteGroupsWaitingOutcomes(t *testing.T) {
	st := &putLog{}
	r := newRun(Config{Store: st, Collection: "c", Counters: &Counters{}})
	results := make(chan *outcome, 10)
	results <- answered(0, 3)
	results <- answered(3, 2)
	results <- &outcome{links: []salvo.Item{{ID: "linked", Key: salvo.Key{200}}}, linked: []ref{{id: "linked"}}}
	results <- answered(5, maxGroup)
	results <- answered(5+maxGroup, 2) // after maxGroup texts: a commit of its own
	close(results)
	if err := r.write(context.Background(), results); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, p := range st.puts {
		sizes = append(sizes, len(p))
	}
	if want := []int{5, 1, maxGroup, 2}; !slices.Equal(sizes, want) {
		t.Fatalf("Puts of %v items, want %v", sizes, want)
	}
	if !slices.Equal(st.puts[0], []string{"0", "1", "2", "3", "4"}) || st.puts[1][0] != "linked" {
		t.Errorf("Puts out of order: %v, %v", st.puts[0], st.puts[1])
	}
	if got, want := r.c.Embedded.Load(), int64(5+maxGroup+2); got != want {
		t.Errorf("%d embedded, want %d", got, want)
	}
	if len(r.dedup.groups) != 0 {
		t.Errorf("%d groups left in flight after their commit", len(r.dedup.groups))
	}
}

// TestWriteSmallGroupWaits: a group of fewer than minGroup texts waits
// (groupWait after each outcome) and takes the outcomes that come
// meanwhile into the same commit; a group of minGroup texts or more is
// committed without waiting.
func TestWriteSmallGroupWaits(t *testing.T) {
	fire := make(chan time.Time)
	waits := make(chan time.Duration, 8)
	old := groupTimer
	groupTimer = func(d time.Duration) (<-chan time.Time, func()) {
		waits <- d
		return fire, func() {}
	}
	t.Cleanup(func() { groupTimer = old })

	st := &putLog{}
	r := newRun(Config{Store: st, Collection: "c", Counters: &Counters{}})
	results := make(chan *outcome)
	done := make(chan error, 1)
	go func() { done <- r.write(context.Background(), results) }()
	results <- answered(0, 3)
	select { // the group of 3 waits
	case <-waits:
	case <-time.After(time.Minute):
		t.Fatal("a group of 3 texts did not wait for more")
	}
	results <- answered(3, 2) // and takes this one
	if d := <-waits; d <= 0 || d > groupMax {
		t.Errorf("a wait of at most %v, want one within (0, %v]", d, groupMax)
	}
	fire <- time.Time{} // its second wait ends: one commit of 5
	results <- answered(5, minGroup)
	close(results)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, p := range st.puts {
		sizes = append(sizes, len(p))
	}
	if want := []int{5, minGroup}; !slices.Equal(sizes, want) {
		t.Fatalf("Puts of %v items, want %v", sizes, want)
	}
	if n := len(waits); n != 0 {
		t.Errorf("a group of %d texts waited for more (%d waits)", minGroup, n)
	}
}

// TestWriteGroupFailsWhole: a group whose commit fails is fatal and counts
// nothing as embedded.
func TestWriteGroupFailsWhole(t *testing.T) {
	boom := errors.New("disk full")
	st := &putLog{fail: boom}
	r := newRun(Config{Store: st, Collection: "c", Counters: &Counters{}})
	results := make(chan *outcome, 2)
	results <- answered(0, 3)
	results <- answered(3, 3)
	close(results)
	err := r.write(context.Background(), results)
	var fe *FatalError
	if !errors.As(err, &fe) || !errors.Is(err, boom) {
		t.Fatalf("write = %v, want a FatalError wrapping %v", err, boom)
	}
	if len(st.puts) != 1 || len(st.puts[0]) != 6 {
		t.Errorf("Puts %v, want one of 6 items", st.puts)
	}
	if n := r.c.Embedded.Load(); n != 0 {
		t.Errorf("%d counted embedded after a failed commit", n)
	}
}
