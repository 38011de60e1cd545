package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
)

func collector(t *testing.T, s salvo.Store) salvo.Collector {
	t.Helper()
	c, ok := s.(salvo.Collector)
	if !ok {
		t.Skipf("%T has no salvo.Collector", s)
	}
	return c
}

func garbage(t *testing.T, c salvo.Collector) salvo.Garbage {
	t.Helper()
	g, err := c.Garbage(context.Background())
	if err != nil {
		t.Fatalf("Garbage: %v", err)
	}
	return g
}

// testCollect: Garbage counts the cached vectors no record refers to, and
// Collect deletes exactly those, whichever collection once held them; a
// Put whose items refer to a vector Collect removed stores nothing and
// says which keys are missing.
func testCollect(t *testing.T, s salvo.Store) {
	c := collector(t, s)
	ctx := context.Background()
	if g := garbage(t, c); g != (salvo.Garbage{}) {
		t.Errorf("Garbage of an empty store = %+v, want none", g)
	}
	mustOpen(t, s, "c", "m")
	mustOpen(t, s, "other", "m")
	// Key 3 is cached without a record; key 1 is shared by two collections.
	mustPut(t, s, "c", Entries(8, 1, 2, 3), []salvo.Item{{ID: "a", Key: Key(1)}, {ID: "b", Key: Key(2)}})
	mustPut(t, s, "other", nil, []salvo.Item{{ID: "x", Key: Key(1)}})
	g := garbage(t, c)
	if g.Rows != 1 || g.Bytes < 4*8 {
		t.Errorf("Garbage with one vector no record refers to = %+v, want 1 row of at least %d bytes", g, 4*8)
	}
	if p, ok := s.(salvo.Pruner); ok {
		if _, err := p.DeleteItems(ctx, "c", []string{"a", "b"}); err != nil { // a's key 1 stays: x refers to it
			t.Fatal(err)
		}
	} else {
		mustPut(t, s, "c", nil, []salvo.Item{{ID: "b", Key: Key(1)}}) // b's text changed: key 2 is left
	}
	g = garbage(t, c)
	if g.Rows != 2 {
		t.Errorf("Garbage after records left keys 2 and 3 = %+v, want 2 rows", g)
	}
	freed, err := c.Collect(ctx)
	if err != nil || freed != g {
		t.Fatalf("Collect = %+v, %v; want what Garbage said, %+v", freed, err, g)
	}
	if g := garbage(t, c); g != (salvo.Garbage{}) {
		t.Errorf("Garbage after Collect = %+v, want none", g)
	}
	if again, err := c.Collect(ctx); err != nil || again != (salvo.Garbage{}) {
		t.Errorf("a second Collect = %+v, %v; want nothing freed", again, err)
	}
	if cr, ok := s.(salvo.CacheReader); ok {
		got, err := cr.CachedVectors(ctx, []salvo.Key{Key(1), Key(2), Key(3)})
		if err != nil || len(got) != 1 || !sameBits(got[Key(1)], Vector(1, 8)) {
			t.Errorf("cached vectors after Collect = %v, %v; want key 1's only", got, err)
		}
	}
	if _, vs := each(t, s, "other"); !sameBits(vs["x"], Vector(1, 8)) {
		t.Errorf("other's record after Collect = %v", vs["x"])
	}
	if pr := lookup(t, s, "c", []salvo.Item{{ID: "n", Key: Key(2)}}); pr[0] != salvo.Missing {
		t.Errorf("Lookup of a collected key = %v, want Missing", pr[0])
	}
	// A lookup found key 2 cached, then Collect removed it: the Put that
	// links to it stores nothing and names the key.
	err = s.Put(ctx, "c", nil, []salvo.Item{{ID: "ok", Key: Key(1)}, {ID: "n", Key: Key(2)}, {ID: "m", Key: Key(2)}})
	var nc *salvo.NotCachedError
	if !errors.As(err, &nc) || nc.Collection != "c" || len(nc.Keys) != 1 || nc.Keys[0] != Key(2) {
		t.Fatalf("Put of items whose vector was collected: err = %v, want a *NotCachedError{c, [key 2]}", err)
	}
	if n := count(t, s, "c"); n != 0 {
		t.Errorf("the refused Put stored %d records, want none", n)
	}
}

// testCollectWhilePutting: Collect running again and again while records
// are stored never removes a vector that a Put stores with its record (the
// same transaction), nor fails those Puts.
func testCollectWhilePutting(t *testing.T, s salvo.Store) {
	c := collector(t, s)
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	const puts = 60
	done := make(chan struct{})
	var wg sync.WaitGroup
	var collectErr error
	var rounds int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := c.Collect(ctx); err != nil {
				collectErr = err
				return
			}
			rounds++
		}
	}()
	for i := range puts {
		// Each Put: a new vector and its record, and a vector with none
		// (garbage from birth, for Collect to find).
		err := s.Put(ctx, "c", Entries(4, 2*i, 2*i+1), []salvo.Item{{ID: fmt.Sprintf("id-%03d", i), Key: Key(2 * i)}})
		if err != nil {
			close(done)
			wg.Wait()
			t.Fatalf("Put %d while Collect runs: %v", i, err)
		}
	}
	close(done)
	wg.Wait()
	if collectErr != nil {
		t.Fatalf("Collect while Puts run: %v", collectErr)
	}
	if _, err := c.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	ids, vs := each(t, s, "c")
	if len(ids) != puts {
		t.Fatalf("%d records after Puts and %d Collects, want %d", len(ids), rounds, puts)
	}
	for i := range puts {
		if v := vs[fmt.Sprintf("id-%03d", i)]; !sameBits(v, Vector(2*i, 4)) {
			t.Errorf("record %d's vector = %v, want %v", i, v, Vector(2*i, 4))
		}
	}
	if g := garbage(t, c); g != (salvo.Garbage{}) {
		t.Errorf("Garbage at the end = %+v, want none", g)
	}
}

// testCollectKeepsPieces: the vectors of a long record's pieces are
// referenced, by the pieces, even where no whole record refers to them:
// Garbage does not count them and Collect keeps them.
func testCollectKeepsPieces(t *testing.T, s salvo.Store) {
	c := collector(t, s)
	cr, ok := s.(salvo.ChunkReader)
	if !ok {
		t.Skipf("%T has no salvo.ChunkReader", s)
	}
	ctx := context.Background()
	mustOpen(t, s, "c", "m")
	mustPut(t, s, "c", Entries(4, 1, 2, 3, 9), []salvo.Item{piece("long", 1, 0, 3), piece("long", 2, 1, 3), piece("long", 3, 2, 3)})
	if g := garbage(t, c); g.Rows != 1 {
		t.Errorf("Garbage with three pieces and one vector nothing refers to = %+v, want 1 row", g)
	}
	if _, err := c.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	got := eachChunk(t, cr, "c")
	if len(got) != 3 {
		t.Fatalf("pieces after Collect = %d, want 3", len(got))
	}
	for i, p := range got {
		if !sameBits(p.v, Vector(i+1, 4)) {
			t.Errorf("piece %d after Collect = %v, want %v", i, p.v, Vector(i+1, 4))
		}
	}
}
