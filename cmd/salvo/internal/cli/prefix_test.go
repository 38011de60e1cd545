package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// prefixOut is search --json with the prefixes that applied.
type prefixOut struct {
	Results []struct {
		ID     string
		Score  float64
		Fields map[string]any
	}
	Prefixes *struct{ Document, Query string }
}

func searchPrefixes(t *testing.T, args ...string) prefixOut {
	t.Helper()
	r := run(t, "", append([]string{"search", "--json", "--mode", "vector"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("search %q: exit %d: %s", args, r.code, r.err)
	}
	var out prefixOut
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("--json output %q: %v", r.out, err)
	}
	if out.Prefixes == nil {
		t.Fatalf("search --json says no prefixes: %s", r.out)
	}
	return out
}

// Prefixes are a pair. nomic-embed-text documents embedded without
// "search_document: " are searched without "search_query: ", so a record's
// exact text finds it first with score 1; a collection embedded with the
// document prefix is searched with the query prefix. search --json and
// status say which apply.
func TestSearchPrefixesArePairs(t *testing.T) {
	const title = "The Waltz of Kestrel Mills"
	s := server(t, ollamatest.Config{})
	plain := moviesDB(t, s.URL(), ollamatest.DefaultModel)
	out := searchPrefixes(t, "--host", s.URL(), "--db", plain, "--k", "5", title)
	if len(out.Results) == 0 || out.Results[0].Fields["title"] != title || out.Results[0].Score < 0.9999 {
		t.Errorf("exact text of a record embedded with no prefix: %+v, want %q first with score 1", out.Results, title)
	}
	if *out.Prefixes != (struct{ Document, Query string }{"", ""}) {
		t.Errorf("prefixes %+v, want none and none", *out.Prefixes)
	}
	r := run(t, "", "status", "--db", plain)
	if want := `movies: documents embedded with no prefix, so queries get no prefix (nomic-embed-text's card pairs "search_document: " with "search_query: ": embed with --prefix "search_document: " to use them)`; !strings.Contains(r.out, want+"\n") {
		t.Errorf("status:\n%s\nwant the line %s", r.out, want)
	}
	r = run(t, "", "status", "--db", plain, "--json")
	if !strings.Contains(r.out, `"prefixes":{"document":"","query":""}`) {
		t.Errorf("status --json: %s", r.out)
	}

	paired := moviesDB(t, s.URL(), ollamatest.DefaultModel, "--prefix", "search_document: ")
	out = searchPrefixes(t, "--host", s.URL(), "--db", paired, "--k", "1", title)
	if *out.Prefixes != (struct{ Document, Query string }{"search_document: ", "search_query: "}) {
		t.Errorf("prefixes %+v, want search_document: and search_query:", *out.Prefixes)
	}
	// The fake server's vectors depend on the whole text: the query, sent
	// with "search_query: ", is not the document's text.
	if out.Results[0].Score > 0.5 {
		t.Errorf("with search_query: the query is another text, yet scores %v", out.Results[0].Score)
	}
	// --query-prefix still wins.
	out = searchPrefixes(t, "--host", s.URL(), "--db", paired, "--k", "1", "--query-prefix", "search_document: ", title)
	if out.Results[0].Fields["title"] != title || out.Results[0].Score < 0.9999 || out.Prefixes.Query != "search_document: " {
		t.Errorf("--query-prefix 'search_document: ': %+v", out)
	}
	r = run(t, "", "status", "--db", paired)
	if want := `movies: documents embedded with "search_document: ", so queries get "search_query: "`; !strings.Contains(r.out, want+"\n") {
		t.Errorf("status:\n%s\nwant the line %s", r.out, want)
	}
	// similar --json embeds no query: no prefixes.
	if r := run(t, "", "similar", "--db", paired, "--json", "--k", "1", "7"); r.code != ExitOK || strings.Contains(r.out, "prefixes") {
		t.Errorf("similar --json: exit %d %s%s", r.code, r.out, r.err)
	}
}
