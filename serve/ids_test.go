package serve_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/salvoembed/salvo/serve"
)

// oddIDs are IDs that a path would clean, split or cut, and others that
// need escaping: every one is an ID a store can hold.
var oddIDs = []string{
	"..", ".", "a/b", "/", "../x", "a/../b", "%", "%2F", "%zz", "?", "#", "a?b#c", "&k=1", "+", "a b", " lead", "trail ",
	"ünïcødé", "日本語", "🎬", `"'<>`, `\`, "tab\there", "x;y", "7",
}

// oddCatalog writes a catalog whose records have oddIDs, titled "title N"
// for the Nth, as movies.jsonl in a new folder.
func oddCatalog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "movies.jsonl")
	var b []byte
	for i, id := range oddIDs {
		line, err := json.Marshal(map[string]any{"id": id, "title": titleOf(i), "year": 2000 + i, "genres": []string{"Drama"}})
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, line...), '\n')
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func titleOf(i int) string { return "title " + string(rune('A'+i)) }

// Every odd ID gets its neighbours through /api/similar?id=, shows in the
// map and in search results as stored, and its record's title finds it.
func TestOddIDs(t *testing.T) {
	hs, _ := fixtureOf(t, oddCatalog(t), model, serve.Options{})
	var m struct{ Points []struct{ ID string } }
	get(t, hs.URL+"/api/map?collection=movies", 200, &m)
	var mapIDs []string
	for _, p := range m.Points {
		mapIDs = append(mapIDs, p.ID)
	}
	for i, id := range oddIDs {
		if !slices.Contains(mapIDs, id) {
			t.Errorf("the map has no point %q: %q", id, mapIDs)
		}
		var r results
		get(t, hs.URL+"/api/similar?collection=movies&k=100&id="+url.QueryEscape(id), 200, &r)
		if len(r.Results) != len(oddIDs)-1 {
			t.Errorf("similar to %q: %d results, want %d (%s)", id, len(r.Results), len(oddIDs)-1, r.Error)
		}
		for _, x := range r.Results {
			if x.ID == id {
				t.Errorf("similar to %q returned %q itself", id, id)
			}
		}
		r = results{}
		get(t, hs.URL+"/api/search?collection=movies&k=1&q="+url.QueryEscape(titleOf(i)), 200, &r)
		if len(r.Results) != 1 || r.Results[0].ID != id {
			t.Errorf("search for %q: %+v, want ID %q", titleOf(i), r, id)
		}
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/similar?collection=movies", 400},
		{"/api/similar?collection=movies&id=", 404},
		{"/api/similar?collection=movies&id=" + url.QueryEscape("../nope"), 404},
		{"/api/similar?id=1", 400},
		{"/api/map", 400},
	} {
		var e results
		get(t, hs.URL+tc.path, tc.status, &e)
		if e.Error == "" {
			t.Errorf("GET %s: no error message", tc.path)
		}
	}
}
