package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
)

func testPutAtomic(t *testing.T, s salvo.Store) {
	ctx := context.Background()
	mustOpen(t, s, "fresh", "m")
	mustOpen(t, s, "set", "m")
	mustPut(t, s, "set", Entries(4, 1), []salvo.Item{{ID: "a", Key: Key(1)}})

	tests := []struct {
		name    string
		coll    string
		entries []salvo.Entry
		items   []salvo.Item
		dimErr  *salvo.DimensionError // nil: any error
	}{
		{"dims differ from the collection's", "set",
			append(Entries(4, 2), Entries(5, 3)...), []salvo.Item{{ID: "b", Key: Key(2)}, {ID: "c", Key: Key(3)}},
			&salvo.DimensionError{Collection: "set", Have: 5, Want: 4}},
		{"dims differ within a first Put", "fresh",
			append(Entries(4, 2), Entries(5, 3)...), []salvo.Item{{ID: "b", Key: Key(2)}},
			&salvo.DimensionError{Collection: "fresh", Have: 5, Want: 4}},
		{"cached key of other dims", "fresh",
			Entries(5, 4), []salvo.Item{{ID: "b", Key: Key(4)}, {ID: "a", Key: Key(1)}},
			&salvo.DimensionError{Collection: "fresh", Have: 4, Want: 5}},
		{"empty vector", "fresh",
			[]salvo.Entry{{Key: Key(5), Vector: []float32{}}}, []salvo.Item{{ID: "b", Key: Key(5)}}, nil},
		{"item of an unknown key", "set",
			Entries(4, 6), []salvo.Item{{ID: "b", Key: Key(6)}, {ID: "c", Key: Key(7)}}, nil},
	}
	probe := []salvo.Item{{ID: "b", Key: Key(2)}, {ID: "b", Key: Key(4)}, {ID: "b", Key: Key(5)}, {ID: "b", Key: Key(6)}}
	for _, tt := range tests {
		err := s.Put(ctx, tt.coll, tt.entries, tt.items)
		var de *salvo.DimensionError
		switch {
		case err == nil:
			t.Errorf("%s: Put succeeded, want an error", tt.name)
		case tt.dimErr != nil && (!errors.As(err, &de) || *de != *tt.dimErr):
			t.Errorf("%s: Put: %v, want %v", tt.name, err, tt.dimErr)
		}
		for _, coll := range []string{"fresh", "set"} {
			for i, p := range lookup(t, s, coll, probe) {
				if p != salvo.Missing {
					t.Errorf("%s: after the failed Put, key %d… is %d in %q, want Missing", tt.name, probe[i].Key[0], p, coll)
				}
			}
		}
	}
	if c, err := s.OpenCollection(ctx, salvo.Collection{Name: "fresh", Model: "m"}); err != nil || c.Dims != 0 || c.Count != 0 {
		t.Errorf("fresh collection after failed Puts = %+v, %v; want no dims, no items", c, err)
	}
	if c, err := s.OpenCollection(ctx, salvo.Collection{Name: "set", Model: "m"}); err != nil || c.Dims != 4 || c.Count != 1 {
		t.Errorf("set collection after failed Puts = %+v, %v; want 4 dims, 1 item", c, err)
	}
}

func testSharedCache(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "a", "m")
	mustOpen(t, s, "b", "m")
	mustPut(t, s, "a", Entries(3, 1), []salvo.Item{{ID: "x", Key: Key(1)}})
	items := []salvo.Item{{ID: "x", Key: Key(1)}, {ID: "y", Key: Key(1)}}
	if got, want := lookup(t, s, "b", items), []salvo.Presence{salvo.Cached, salvo.Cached}; !slices.Equal(got, want) {
		t.Errorf("another collection: presences %v, want %v", got, want)
	}
	// Items alone: the vectors come from the cache, and set b's dims.
	mustPut(t, s, "b", nil, items)
	if got, want := lookup(t, s, "b", items), []salvo.Presence{salvo.Stored, salvo.Stored}; !slices.Equal(got, want) {
		t.Errorf("after storing cached keys: presences %v, want %v", got, want)
	}
	_, vs := each(t, s, "b")
	if len(vs) != 2 || !sameBits(vs["x"], Vector(1, 3)) || !sameBits(vs["y"], Vector(1, 3)) {
		t.Errorf("Each(b) = %v, want x and y with the vector of key 1", vs)
	}
	c, err := s.OpenCollection(context.Background(), salvo.Collection{Name: "b", Model: "m"})
	if err != nil || c.Dims != 3 || c.Count != 2 {
		t.Errorf("collection b = %+v, %v; want 3 dims, 2 items", c, err)
	}
}

// testSameKeyTwice: storing a cached key again (salvo's --force) replaces
// the vector for every item that uses it.
func testSameKeyTwice(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	mustPut(t, s, "c", Entries(3, 1), []salvo.Item{{ID: "x", Key: Key(1)}})
	again := []salvo.Entry{{Key: Key(1), Vector: Vector(7, 3)}, {Key: Key(1), Vector: Vector(8, 3)}}
	mustPut(t, s, "c", again, []salvo.Item{{ID: "y", Key: Key(1)}, {ID: "y", Key: Key(1)}})
	_, vs := each(t, s, "c")
	if len(vs) != 2 || !sameBits(vs["x"], Vector(8, 3)) || !sameBits(vs["y"], Vector(8, 3)) {
		t.Errorf("Each = %v, want x and y with the last vector given for key 1", vs)
	}
}

func testEachOrder(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	special := []float32{
		float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		math.Float32frombits(0x007fffff), // largest subnormal
		math.MaxFloat32, -math.MaxFloat32, 1.0 / 3, -1e-30,
	}
	// No infinities or NaNs: salvo's engine refuses such vectors before
	// they reach a store, and pgvector refuses them too.
	ids := []string{"b", "a", "10", "9", "B", "é", "a b", "a\tb", "z"}
	var (
		es    []salvo.Entry
		items []salvo.Item
	)
	for i, id := range ids {
		v := slices.Clone(special)
		v[len(v)-1] = float32(i)
		es = append(es, salvo.Entry{Key: Key(i), Vector: v})
		items = append(items, salvo.Item{ID: id, Key: Key(i)})
	}
	mustPut(t, s, "c", es, items)
	got, vs := each(t, s, "c")
	want := slices.Clone(ids)
	slices.Sort(want) // byte order
	if !slices.Equal(got, want) {
		t.Errorf("Each order = %q, want %q", got, want)
	}
	for i, id := range ids {
		if !sameBits(vs[id], es[i].Vector) {
			t.Errorf("vector of %q = %v, want bit for bit %v", id, vs[id], es[i].Vector)
		}
	}
	// Vectors handed to fn are the caller's to keep.
	vs["a"][0] = 42
	if _, again := each(t, s, "c"); !sameBits(again["a"], es[slices.Index(ids, "a")].Vector) {
		t.Errorf("changing a vector Each gave changed the store: %v", again["a"])
	}
}

func testEachStops(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	mustPut(t, s, "c", Entries(2, 1, 2, 3), []salvo.Item{{ID: "1", Key: Key(1)}, {ID: "2", Key: Key(2)}, {ID: "3", Key: Key(3)}})
	stop := errors.New("stop")
	calls := 0
	err := s.Each(context.Background(), "c", func(id string, v []float32) error {
		calls++
		if id == "2" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Errorf("Each with fn failing on the 2nd item: %d calls, err %v; want 2 calls and fn's error", calls, err)
	}
	if err := s.Each(context.Background(), "empty", nil); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("Each on a missing collection: %v", err)
	}
	mustOpen(t, s, "empty", "m")
	if ids, _ := each(t, s, "empty"); len(ids) != 0 {
		t.Errorf("Each on an empty collection gave %q", ids)
	}
}

func testCollections(t *testing.T, s salvo.Store) {
	cs, err := s.Collections(context.Background())
	if err != nil || len(cs) != 0 {
		t.Fatalf("Collections of a new store = %v, %v; want none", cs, err)
	}
	mustOpen(t, s, "b", "m2")
	mustOpen(t, s, "a", "m1")
	mustOpen(t, s, "c", "m1")
	mustPut(t, s, "a", Entries(2, 1, 2), []salvo.Item{{ID: "1", Key: Key(1)}, {ID: "2", Key: Key(2)}})
	mustPut(t, s, "b", Entries(3, 3), []salvo.Item{{ID: "1", Key: Key(3)}})
	mustPut(t, s, "a", nil, []salvo.Item{{ID: "1", Key: Key(2)}}) // changes a key, not the count
	cs, err = s.Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(cs, func(x, y salvo.Collection) int { return strings.Compare(x.Name, y.Name) })
	want := []salvo.Collection{
		{Name: "a", Model: "m1", Dims: 2, Count: 2},
		{Name: "b", Model: "m2", Dims: 3, Count: 1},
		{Name: "c", Model: "m1"},
	}
	if !slices.Equal(cs, want) {
		t.Errorf("Collections = %+v, want %+v", cs, want)
	}
}

func testCanceled(t *testing.T, s salvo.Store) {
	mustOpen(t, s, "c", "m")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	items := []salvo.Item{{ID: "x", Key: Key(1)}}
	calls := map[string]func() error{
		"OpenCollection": func() error {
			_, err := s.OpenCollection(ctx, salvo.Collection{Name: "d", Model: "m"})
			return err
		},
		"Lookup":      func() error { return s.Lookup(ctx, "c", items, make([]salvo.Presence, 1)) },
		"Put":         func() error { return s.Put(ctx, "c", Entries(2, 1), items) },
		"Collections": func() error { _, err := s.Collections(ctx); return err },
		"Each":        func() error { return s.Each(ctx, "c", func(string, []float32) error { return nil }) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v, want one wrapping context.Canceled", name, err)
		}
	}
	if got := lookup(t, s, "c", items); got[0] != salvo.Missing {
		t.Errorf("a Put with a canceled context stored its item (%d)", got[0])
	}
	cs, err := s.Collections(context.Background())
	if err != nil || len(cs) != 1 {
		t.Errorf("after OpenCollection with a canceled context, Collections = %+v, %v; want only c", cs, err)
	}
}

// testConcurrent runs lookups beside a writer, as salvo's engine does, for
// the race detector and for deadlocks.
func testConcurrent(t *testing.T, s salvo.Store) {
	const writers, batches, batch = 2, 10, 20
	mustOpen(t, s, "c", "m")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var items []salvo.Item
				seeds := make([]int, batch)
				for i := range seeds {
					seeds[i] = (w*batches+b)*batch + i
					items = append(items, salvo.Item{ID: fmt.Sprint(seeds[i]), Key: Key(seeds[i])})
				}
				if err := s.Put(ctx, "c", Entries(2, seeds...), items); err != nil {
					errs <- err
					return
				}
				out := make([]salvo.Presence, len(items))
				if err := s.Lookup(ctx, "c", items, out); err != nil {
					errs <- err
					return
				}
				for i, p := range out {
					if p != salvo.Stored {
						errs <- fmt.Errorf("item %s just stored is %d, not Stored", items[i].ID, p)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range batches {
			if _, err := s.Collections(ctx); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := count(t, s, "c"); c != writers*batches*batch {
		t.Errorf("count = %d, want %d", c, writers*batches*batch)
	}
}
