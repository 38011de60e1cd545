package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// testRequired fails for a store that lacks a required part of the
// contract ([salvo.FullStore]).
func testRequired(t *testing.T, s salvo.Store) {
	if missing := Missing(s); len(missing) > 0 {
		t.Fatalf("%T lacks required parts of the store's contract: %s", s, strings.Join(missing, ", "))
	}
}

// Missing names the required interfaces of the store's contract that s
// does not implement; none for a [salvo.FullStore].
func Missing(s salvo.Store) []string {
	var missing []string
	if _, ok := s.(salvo.DocReader); !ok {
		missing = append(missing, "salvo.DocReader")
	}
	if _, ok := s.(salvo.CacheReader); !ok {
		missing = append(missing, "salvo.CacheReader")
	}
	if _, ok := s.(salvo.RunLedger); !ok {
		missing = append(missing, "salvo.RunLedger")
	}
	if _, ok := s.(salvo.Describer); !ok {
		missing = append(missing, "salvo.Describer")
	}
	return missing
}

func require[T any](t *testing.T, s salvo.Store) T {
	t.Helper()
	x, ok := s.(T)
	if !ok {
		t.Fatalf("%T does not implement %T, which every store must: %s", s, (*T)(nil), strings.Join(Missing(s), ", "))
	}
	return x
}

// testCachedVectors: the cache gives back every vector stored, whichever
// collection stored it, bit for bit, and nothing for keys it lacks.
func testCachedVectors(t *testing.T, s salvo.Store) {
	cr := require[salvo.CacheReader](t, s)
	ctx := context.Background()
	if got, err := cr.CachedVectors(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("CachedVectors of no keys = %v, %v; want an empty map", got, err)
	}
	mustOpen(t, s, "a", "m")
	mustOpen(t, s, "b", "m")
	es := Entries(4, 1, 2, 3)
	es[2].Vector = []float32{-0, 1e-38, -3.4e38, 0.1}
	mustPut(t, s, "a", es[:2], []salvo.Item{{ID: "1", Key: Key(1)}, {ID: "2", Key: Key(2)}})
	mustPut(t, s, "b", es[2:], []salvo.Item{{ID: "3", Key: Key(3)}})
	// A cache entry that no item refers to yet is still in the cache.
	mustPut(t, s, "b", Entries(4, 4), nil)
	keys := []salvo.Key{Key(3), Key(99), Key(1), Key(4), Key(2), Key(1)}
	got, err := cr.CachedVectors(ctx, keys)
	if err != nil {
		t.Fatalf("CachedVectors: %v", err)
	}
	want := map[salvo.Key][]float32{Key(1): es[0].Vector, Key(2): es[1].Vector, Key(3): es[2].Vector, Key(4): Vector(4, 4)}
	if len(got) != len(want) {
		t.Errorf("CachedVectors returned %d vectors, want %d (a key not cached is absent)", len(got), len(want))
	}
	for k, v := range want {
		if !sameBits(got[k], v) {
			t.Errorf("CachedVectors[%x] = %v, want %v", k[:4], got[k], v)
		}
	}
	if _, ok := got[Key(99)]; ok {
		t.Errorf("CachedVectors has a vector for a key never stored")
	}
	// Many keys at once.
	const n = 3000
	seeds := make([]int, 0, n)
	for i := range n {
		seeds = append(seeds, 1000+i)
	}
	for chunk := range slices.Chunk(seeds, 10000) {
		mustPut(t, s, "a", Entries(4, chunk...), nil)
	}
	many := make([]salvo.Key, n)
	for i, sd := range seeds {
		many[i] = Key(sd)
	}
	got, err = cr.CachedVectors(ctx, many)
	if err != nil || len(got) != n {
		t.Fatalf("CachedVectors of %d keys: %d vectors, %v", n, len(got), err)
	}
	if v := got[Key(1000+n-1)]; !sameBits(v, Vector(1000+n-1, 4)) {
		t.Errorf("CachedVectors: the last of many keys = %v", v)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cr.CachedVectors(cctx, keys); !errors.Is(err, context.Canceled) {
		t.Errorf("CachedVectors with a cancelled context: %v, want context.Canceled", err)
	}
}

// testRuns: the ledger keeps what RecordRun is given and lists it newest
// first, by collection, up to a limit.
func testRuns(t *testing.T, s salvo.Store) {
	rl := require[salvo.RunLedger](t, s)
	ctx := context.Background()
	if runs, err := rl.Runs(ctx, "", 0); err != nil || len(runs) != 0 {
		t.Fatalf("Runs of a new store = %v, %v; want none", runs, err)
	}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	in := []salvo.RunRecord{
		{Collection: "a", Model: "m", Started: base, Finished: base.Add(90 * time.Second), Stats: json.RawMessage(`{"embedded":2,"note":"é \"q\""}`), Args: []string{"salvo", "embed", "a.jsonl", "--text", "{{.title}}"}},
		{Collection: "b", Model: "m2", Started: base.Add(time.Minute), Finished: base.Add(2 * time.Minute)},
		{Collection: "a", Model: "m", Started: base.Add(2 * time.Minute), Finished: base.Add(3 * time.Minute), Stats: json.RawMessage(`null`), Args: []string{}},
		{Collection: "a", Model: "m", Started: base.Add(2 * time.Minute), Finished: base.Add(4 * time.Minute), Stats: json.RawMessage(`[1, 2]`)},
	}
	for _, r := range in {
		if err := rl.RecordRun(ctx, r); err != nil {
			t.Fatalf("RecordRun(%+v): %v", r, err)
		}
	}
	if err := rl.RecordRun(ctx, salvo.RunRecord{Collection: "a", Model: "m", Started: base, Stats: json.RawMessage(`{broken`)}); err == nil {
		t.Errorf("RecordRun with stats that are not JSON: no error")
	}
	// Newest first: by start, then the later recorded of two that started together.
	all, err := rl.Runs(ctx, "", 0)
	if err != nil {
		t.Fatalf("Runs: %v", err)
	}
	wantOrder := []int{3, 2, 1, 0}
	if len(all) != len(wantOrder) {
		t.Fatalf("Runs returned %d runs, want %d: %+v", len(all), len(wantOrder), all)
	}
	ids := map[int64]bool{}
	for i, r := range all {
		w := in[wantOrder[i]]
		wantStats := w.Stats
		if len(wantStats) == 0 || string(wantStats) == "null" {
			wantStats = json.RawMessage(`{}`)
		}
		wantArgs := w.Args
		if wantArgs == nil {
			wantArgs = []string{}
		}
		if r.Collection != w.Collection || r.Model != w.Model || !r.Started.Equal(w.Started) || !r.Finished.Equal(w.Finished) ||
			!sameJSON(r.Stats, wantStats) || !slices.Equal(append([]string{}, r.Args...), wantArgs) {
			t.Errorf("Runs[%d] = %+v (stats %s), want %+v (stats %s)", i, r, r.Stats, w, wantStats)
		}
		if r.ID == 0 || ids[r.ID] {
			t.Errorf("Runs[%d] has ID %d: the store numbers runs, each its own", i, r.ID)
		}
		ids[r.ID] = true
	}
	if a, err := rl.Runs(ctx, "a", 2); err != nil || len(a) != 2 || a[0].ID != all[0].ID || a[1].ID != all[1].ID {
		t.Errorf("Runs(a, 2) = %+v, %v; want the two newest runs of a", a, err)
	}
	if b, err := rl.Runs(ctx, "b", 0); err != nil || len(b) != 1 || b[0].Model != "m2" {
		t.Errorf("Runs(b) = %+v, %v; want its one run", b, err)
	}
	if none, err := rl.Runs(ctx, "nope", 5); err != nil || len(none) != 0 {
		t.Errorf("Runs of a collection without runs = %+v, %v", none, err)
	}
	if one, err := rl.Runs(ctx, "", 1); err != nil || len(one) != 1 || one[0].ID != all[0].ID {
		t.Errorf("Runs(\"\", 1) = %+v, %v; want the newest", one, err)
	}
}

// testDescriber: a store names itself for messages.
func testDescriber(t *testing.T, s salvo.Store) {
	d := require[salvo.Describer](t, s)
	if d.Path() == "" || d.Describe() == "" {
		t.Errorf("Path() = %q, Describe() = %q; want both said", d.Path(), d.Describe())
	}
	if strings.Contains(d.Path(), ":"+"secret@") {
		t.Errorf("Path() shows a password: %q", d.Path())
	}
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}
