package serve_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/serve"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

// An alias names a collection in the API, and repointing it while the
// server runs switches the answers to the other collection at once.
func TestAliasFollowedAtEachRequest(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "salvo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, c := range []struct {
		name string
		ids  []string
	}{{"v1", []string{"a", "b"}}, {"v2", []string{"c", "d", "e"}}} {
		if _, err := st.OpenCollection(ctx, salvo.Collection{Name: c.name, Model: "m"}); err != nil {
			t.Fatal(err)
		}
		var items []salvo.Item
		var seeds []int
		for i, id := range c.ids {
			seed := len(c.name)*10 + i + int(c.name[1])
			seeds = append(seeds, seed)
			items = append(items, salvo.Item{ID: id, Key: storetest.Key(seed)})
		}
		if err := st.Put(ctx, c.name, storetest.Entries(4, seeds...), items); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetAlias(ctx, "movies", "v1"); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(serve.New(st, serve.Options{}))
	t.Cleanup(hs.Close)

	ids := func(u string, status int) []string {
		t.Helper()
		var res results
		get(t, hs.URL+u, status, &res)
		var out []string
		for _, r := range res.Results {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids("/api/similar?collection=movies&id=a", 200); !slices.Equal(got, []string{"b"}) {
		t.Errorf("similar to a in movies → v1 = %v, want [b]", got)
	}
	var colls struct {
		Aliases []salvo.Alias
	}
	get(t, hs.URL+"/api/collections", 200, &colls)
	if !slices.Equal(colls.Aliases, []salvo.Alias{{Name: "movies", Collection: "v1"}}) {
		t.Errorf("/api/collections aliases = %v, want [movies → v1]", colls.Aliases)
	}
	if err := st.SetAlias(ctx, "movies", "v2"); err != nil {
		t.Fatal(err)
	}
	if got := ids("/api/similar?collection=movies&id=c", 200); len(got) != 2 || slices.Contains(got, "b") {
		t.Errorf("similar to c in movies → v2 = %v, want d and e", got)
	}
	ids("/api/similar?collection=movies&id=a", 404) // a is v1's, not v2's
}
