package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

func aliaser(t *testing.T, s salvo.Store) salvo.Aliaser {
	t.Helper()
	a, ok := s.(salvo.Aliaser)
	if !ok {
		t.Skipf("%T has no salvo.Aliaser", s)
	}
	return a
}

func aliasesOf(t *testing.T, a salvo.Aliaser) []salvo.Alias {
	t.Helper()
	as, err := a.Aliases(context.Background())
	if err != nil {
		t.Fatalf("Aliases: %v", err)
	}
	return as
}

// testAliases: an alias is created, repointed and deleted; Resolve and
// FindCollection follow it; a name is an alias's or a collection's, never
// both; an alias points at a collection that exists.
func testAliases(t *testing.T, s salvo.Store) {
	a := aliaser(t, s)
	ctx := context.Background()
	mustOpen(t, s, "v1", "m1")
	mustOpen(t, s, "v2", "m2")
	mustPut(t, s, "v1", Entries(3, 1), []salvo.Item{{ID: "a", Key: Key(1)}})
	if got := aliasesOf(t, a); len(got) != 0 {
		t.Errorf("Aliases of a new store = %v, want none", got)
	}
	if err := a.SetAlias(ctx, "movies", "v1"); err != nil {
		t.Fatalf("SetAlias(movies, v1): %v", err)
	}
	if err := a.SetAlias(ctx, "films", "v1"); err != nil {
		t.Fatalf("SetAlias(films, v1): %v", err)
	}
	want := []salvo.Alias{{Name: "films", Collection: "v1"}, {Name: "movies", Collection: "v1"}}
	if got := aliasesOf(t, a); !slices.Equal(got, want) {
		t.Errorf("Aliases = %v, want %v", got, want)
	}
	if c, err := salvo.FindCollection(ctx, s, "movies"); err != nil || c.Name != "v1" || c.Count != 1 {
		t.Errorf("FindCollection(movies) = %+v, %v; want v1 with 1 record", c, err)
	}
	// Repointing is one statement: the alias is never missing.
	if err := a.SetAlias(ctx, "movies", "v2"); err != nil {
		t.Fatalf("SetAlias(movies, v2): %v", err)
	}
	if got, err := salvo.Resolve(ctx, s, "movies"); err != nil || got != "v2" {
		t.Errorf("Resolve(movies) after repointing = %q, %v; want v2", got, err)
	}
	if got, err := salvo.Resolve(ctx, s, "v1"); err != nil || got != "v1" {
		t.Errorf("Resolve(v1) = %q, %v; want v1 (a collection's name stands for itself)", got, err)
	}
	// A name is a collection's or an alias's.
	var taken *salvo.NameTakenError
	if err := a.SetAlias(ctx, "v1", "v2"); !errors.As(err, &taken) || taken.Name != "v1" || taken.AliasOf != "" {
		t.Errorf("SetAlias with a collection's name: err = %v, want a *NameTakenError{v1}", err)
	}
	_, err := s.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "m2"})
	if !errors.As(err, &taken) || taken.Name != "movies" || taken.AliasOf != "v2" {
		t.Errorf("OpenCollection with an alias's name: err = %v, want a *NameTakenError{movies, v2}", err)
	}
	if err := a.SetAlias(ctx, "x", "nope"); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("SetAlias to a missing collection: err = %v, want one wrapping ErrNoCollection", err)
	}
	if err := a.SetAlias(ctx, "x", "movies"); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("SetAlias to an alias: err = %v, want one wrapping ErrNoCollection", err)
	}
	if err := a.DeleteAlias(ctx, "films"); err != nil {
		t.Fatalf("DeleteAlias(films): %v", err)
	}
	if err := a.DeleteAlias(ctx, "films"); !errors.Is(err, salvo.ErrNoAlias) {
		t.Errorf("DeleteAlias of a missing alias: err = %v, want one wrapping ErrNoAlias", err)
	}
	if got := aliasesOf(t, a); !slices.Equal(got, []salvo.Alias{{Name: "movies", Collection: "v2"}}) {
		t.Errorf("Aliases after deleting films = %v, want [movies → v2]", got)
	}
	if got := count(t, s, "v1"); got != 1 {
		t.Errorf("v1 holds %d records after its alias was deleted, want 1", got)
	}
	// Once the alias is gone the name is free for a collection.
	if err := a.DeleteAlias(ctx, "movies"); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, s, "movies", "m1")
}

// testDropCollection: a collection an alias points to is not dropped; a
// dropped one loses its records and runs, keeps the cached vectors other
// records share, and leaves other collections alone.
func testDropCollection(t *testing.T, s salvo.Store) {
	a := aliaser(t, s)
	ctx := context.Background()
	mustOpen(t, s, "old", "m")
	mustOpen(t, s, "other", "m")
	mustPut(t, s, "old", Entries(3, 1, 2), []salvo.Item{{ID: "a", Key: Key(1)}, {ID: "b", Key: Key(2)}})
	mustPut(t, s, "other", nil, []salvo.Item{{ID: "a", Key: Key(1)}})
	ledger, hasLedger := s.(salvo.RunLedger)
	if hasLedger {
		now := time.Now()
		for _, c := range []string{"old", "other"} {
			if err := ledger.RecordRun(ctx, salvo.RunRecord{Collection: c, Model: "m", Started: now, Finished: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range []string{"prod", "latest"} {
		if err := a.SetAlias(ctx, name, "old"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := a.DropCollection(ctx, "old")
	var ae *salvo.AliasedError
	if !errors.As(err, &ae) || ae.Collection != "old" || !slices.Equal(ae.Aliases, []string{"latest", "prod"}) {
		t.Fatalf("DropCollection of an aliased collection: err = %v, want an *AliasedError{old, [latest prod]}", err)
	}
	if got := count(t, s, "old"); got != 2 {
		t.Fatalf("a refused drop left %d records, want 2", got)
	}
	for _, name := range []string{"prod", "latest"} {
		if err := a.DeleteAlias(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	n, err := a.DropCollection(ctx, "old")
	if err != nil || n != 2 {
		t.Fatalf("DropCollection(old) = %d, %v; want 2, nil", n, err)
	}
	if _, err := salvo.FindCollection(ctx, s, "old"); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("FindCollection of a dropped collection: err = %v, want ErrNoCollection", err)
	}
	if err := s.Each(ctx, "old", func(string, []float32) error { return nil }); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("Each of a dropped collection: err = %v, want ErrNoCollection", err)
	}
	if _, vs := each(t, s, "other"); !sameBits(vs["a"], Vector(1, 3)) {
		t.Errorf("other's record after dropping old = %v, want %v", vs["a"], Vector(1, 3))
	}
	if cr, ok := s.(salvo.CacheReader); ok {
		got, err := cr.CachedVectors(ctx, []salvo.Key{Key(1), Key(2)})
		if err != nil || len(got) != 2 {
			t.Errorf("cached vectors after the drop: %d, %v; want both kept", len(got), err)
		}
	}
	if hasLedger {
		if runs, err := ledger.Runs(ctx, "old", 0); err != nil || len(runs) != 0 {
			t.Errorf("runs of the dropped collection = %v, %v; want none", runs, err)
		}
		if runs, err := ledger.Runs(ctx, "other", 0); err != nil || len(runs) != 1 {
			t.Errorf("runs of other after the drop = %v, %v; want 1", runs, err)
		}
	}
	// The name is free again: a new collection, empty, of another model.
	if c := mustOpen(t, s, "old", "m2"); c.Count != 0 || c.Model != "m2" {
		t.Errorf("collection made again after its drop = %+v, want an empty one of m2", c)
	}
	if pr := lookup(t, s, "old", []salvo.Item{{ID: "a", Key: Key(1)}}); pr[0] != salvo.Cached {
		t.Errorf("Lookup in the new collection = %v, want Cached (the vector is kept, the record is not)", pr[0])
	}
	if _, err := a.DropCollection(ctx, "nope"); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("DropCollection of a missing collection: err = %v, want ErrNoCollection", err)
	}
}
