package cli

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// salvo search --mode: text needs no server (none answers here) and finds
// the exact title first; hybrid, the default, finds it first too with the
// fake server's vectors, which know no meaning; --where applies to both;
// an unknown mode is refused with the modes there are.
func TestSearchMode(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	const title = "The Waltz of Kestrel Mills"
	out := decodeResults(t, run(t, "", "search", "--mode", "text", "--host", "http://127.0.0.1:1", "--db", db, "--k", "3", "--json", "waltz KESTREL mills"))
	if len(out.Results) == 0 || out.Results[0].Fields["title"] != title {
		t.Errorf("--mode text: %+v, want %s first", out.Results, title)
	}
	for _, args := range [][]string{{}, {"--mode", "hybrid"}} {
		out := decodeResults(t, run(t, "", append(append([]string{"search", "--host", s.URL(), "--db", db, "--k", "3", "--json"}, args...), title)...))
		if len(out.Results) != 3 || out.Results[0].Fields["title"] != title {
			t.Errorf("search %q: %+v, want %s first", args, out.Results, title)
		}
	}
	for _, mode := range []string{"text", "hybrid"} {
		// The title's movie is of 1951, and two others are older.
		out := decodeResults(t, run(t, "", "search", "--mode", mode, "--host", s.URL(), "--db", db, "--k", "3", "--json", "--where", "year <= 1951", title))
		if len(out.Results) == 0 || out.Results[0].Fields["title"] != title || (mode == "hybrid" && len(out.Results) != 3) {
			t.Errorf("--mode %s --where 'year <= 1951': %+v, want %s first (and 3 results in hybrid)", mode, out.Results, title)
		}
		for _, r := range out.Results {
			if y, _ := r.Fields["year"].(float64); y > 1951 {
				t.Errorf("--mode %s --where 'year <= 1951': %+v", mode, r.Fields)
			}
		}
	}
	r := run(t, "", "search", "--mode", "bm25", "--db", db, title)
	if r.code != ExitFatal || !strings.Contains(r.err, `--mode: search mode "bm25": want one of hybrid, vector, text`) {
		t.Errorf("--mode bm25: exit %d: %s", r.code, r.err)
	}
	r = run(t, "", "search", "--mode", "text", "--db", db, "?!")
	if r.code != ExitFatal || !strings.Contains(r.err, "no word") || !strings.Contains(r.err, "--mode vector") {
		t.Errorf("--mode text '?!': exit %d: %s", r.code, r.err)
	}
}

// The words of what salvo embed stored are indexed by the first search by
// words, which says so when there are many, and by it alone; a search by
// meaning leaves them for later.
func TestSearchIndexesWordsOnce(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	defer func(n int) { wordsNote = n }(wordsNote)
	wordsNote = 10
	const note = "salvo: indexing the words of "
	r := run(t, "", "search", "--mode", "vector", "--host", s.URL(), "--db", db, "--k", "3", "waltz")
	if r.code != ExitOK || strings.Contains(r.err, note) {
		t.Errorf("--mode vector: exit %d, stderr %q: want no words indexed", r.code, r.err)
	}
	for i, mode := range []string{"text", "hybrid", "text"} {
		r := run(t, "", "search", "--mode", mode, "--host", s.URL(), "--db", db, "--k", "10", "--json", "waltz kestrel")
		if r.code != ExitOK {
			t.Fatalf("--mode %s: exit %d: %s", mode, r.code, r.err)
		}
		if said := strings.Contains(r.err, note); said != (i == 0) {
			t.Errorf("search %d (--mode %s): stderr %q: want the note on the first search by words only", i+1, mode, r.err)
		}
		// The fake server's vectors know no meaning, and the words of a
		// partial title weigh little in hybrid: only text must put it
		// first.
		out := decodeResults(t, r)
		found := slices.IndexFunc(out.Results, func(r searchResult) bool { return r.Fields["title"] == "The Waltz of Kestrel Mills" })
		if (mode == "text" && found != 0) || len(out.Results) == 0 {
			t.Errorf("--mode %s: %+v, want The Waltz of Kestrel Mills first by words", mode, out.Results)
		}
	}
}

// A search by words while another process holds the database's write
// lock past the wait: it ranks by the words index as it stands, warns on
// stderr and in --json, and exits 0; the next search indexes the rest.
func TestSearchWordsWhileLocked(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	lock, err := sql.Open("sqlite", db+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.Begin()
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "search", "--mode", "text", "--db", db, "--json", "kestrel")
	var out struct {
		Results []searchResult
		Warning string
	}
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("%v: %s", err, r.out)
	}
	if r.code != ExitOK || !strings.Contains(r.err, "salvo: warning: the words of 300 records") || !strings.Contains(out.Warning, "next search by words indexes them") || len(out.Results) != 0 {
		t.Errorf("under a lock: exit %d, stderr %q, %+v; want 0, a warning, no results yet", r.code, r.err, out)
	}
	tx.Rollback()
	r = run(t, "", "search", "--mode", "text", "--db", db, "--json", "kestrel")
	if got := decodeResults(t, r); len(got.Results) == 0 || !strings.Contains(got.Results[0].Text, "Kestrel") || strings.Contains(r.err, "warning") {
		t.Errorf("once unlocked: %+v, stderr %q; want records of Kestrel, no warning", got.Results, r.err)
	}
}

// salvo status says how many records the next search by words indexes
// first (words_due in --json; a line from wordsNote records on), and
// nothing once they are indexed.
func TestStatusWordsDue(t *testing.T) {
	defer func(n int) { wordsNote = n }(wordsNote)
	wordsNote = 300
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	due := func() (int, string) {
		t.Helper()
		r := run(t, "", "status", "--db", db, "--json")
		var out struct {
			WordsDue *int `json:"words_due"`
		}
		if err := json.Unmarshal([]byte(r.out), &out); err != nil || out.WordsDue == nil {
			t.Fatalf("status --json: %v: %s", err, r.out)
		}
		return *out.WordsDue, run(t, "", "status", "--db", db).out
	}
	if n, text := due(); n != 300 || !strings.Contains(text, "words index: 300 records") {
		t.Errorf("after embed: words_due %d, status %q; want 300 and a line saying so", n, text)
	}
	if r := run(t, "", "search", "--mode", "text", "--db", db, "kestrel"); r.code != ExitOK {
		t.Fatalf("search: exit %d: %s", r.code, r.err)
	}
	if n, text := due(); n != 0 || strings.Contains(text, "words index") {
		t.Errorf("after a search by words: words_due %d, status %q; want 0 and no line", n, text)
	}
}
