package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/sqlite"
)

// vectorFileCurrent says whether a search of collection coll in db would
// map its vector file.
func vectorFileCurrent(t *testing.T, db, coll string) bool {
	t.Helper()
	st, err := sqlite.OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ok, err := st.VectorFileCurrent(context.Background(), coll)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestEmbedWritesTheVectorFile: salvo embed leaves a current vector file
// beside the database, and salvo search gives the same answer from it as
// from the database when the file is missing or damaged.
func TestEmbedWritesTheVectorFile(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	path := db + "-vectors-1"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no vector file beside the database after salvo embed: %v", err)
	}
	coll := "movies"
	if !vectorFileCurrent(t, db, coll) {
		t.Fatal("the vector file salvo embed wrote is not current")
	}
	search := func() searchOut {
		t.Helper()
		return decodeResults(t, run(t, "", "search", "--host", s.URL(), "--db", db, "--k", "5", "--json", "The Waltz of Kestrel Mills"))
	}
	want := search()
	if len(want.Results) != 5 {
		t.Fatalf("%d results, want 5", len(want.Results))
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), good...)
	damaged[len(damaged)/2] ^= 0x40
	for name, change := range map[string]func() error{
		"missing": func() error { return os.Remove(path) },
		"damaged": func() error { return os.WriteFile(path, damaged, 0o644) },
	} {
		if err := change(); err != nil {
			t.Fatal(err)
		}
		if vectorFileCurrent(t, db, coll) {
			t.Errorf("%s vector file: taken as current", name)
		}
		if got := search(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s vector file: search gives %+v, want %+v", name, got, want)
		}
	}
	// The next run writes it again, even when it stores nothing.
	if r := run(t, "", "embed", repoFile(t, "examples/movies.jsonl"), "--host", s.URL(), "--model", model, "--db", db,
		"--text", "{{.title}}", "--keep", "title,year,genres", "--quiet"); r.code != ExitOK {
		t.Fatalf("embed again: exit %d: %s", r.code, r.err)
	}
	if !vectorFileCurrent(t, db, coll) {
		t.Error("a second salvo embed did not write the vector file again")
	}
}

// TestPruneLeavesTheVectorFileCurrent: the file is written after --prune
// deletes records, not before.
func TestPruneLeavesTheVectorFileCurrent(t *testing.T) {
	s, in, db := pruneSetup(t, 10)
	writeFile(t, filepath.Dir(in), "movies.jsonl", catalog(0, 1, 3, 4, 5, 6, 8, 9))
	if r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db, "--prune"); r.code != ExitOK {
		t.Fatalf("embed --prune: exit %d: %s", r.code, r.err)
	}
	if !vectorFileCurrent(t, db, "m") {
		t.Error("after embed --prune the vector file is not current")
	}
}

// TestStatusSaysWhetherTheVectorFileIsCurrent: salvo status --json gives
// vector_file_current for each collection of a SQLite database, and salvo
// status names a collection whose file is not current.
func TestStatusSaysWhetherTheVectorFileIsCurrent(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	status := func() (current bool, line bool) {
		t.Helper()
		r := run(t, "", "status", "--db", db, "--json")
		if r.code != ExitOK {
			t.Fatalf("status --json: exit %d: %s", r.code, r.err)
		}
		var out struct {
			Collections []struct {
				Name              string `json:"name"`
				VectorFileCurrent *bool  `json:"vector_file_current"`
			} `json:"collections"`
		}
		if err := json.Unmarshal([]byte(r.out), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Collections) != 1 || out.Collections[0].VectorFileCurrent == nil {
			t.Fatalf("status --json: %s; want one collection with vector_file_current", r.out)
		}
		r = run(t, "", "status", "--db", db)
		if r.code != ExitOK {
			t.Fatalf("status: exit %d: %s", r.code, r.err)
		}
		return *out.Collections[0].VectorFileCurrent, strings.Contains(r.out, "movies: its vector file is not current")
	}
	if current, line := status(); !current || line {
		t.Errorf("after salvo embed: vector_file_current %v, line saying it is not: %v; want true, false", current, line)
	}
	if err := os.Remove(db + "-vectors-1"); err != nil {
		t.Fatal(err)
	}
	if current, line := status(); current || !line {
		t.Errorf("vector file removed: vector_file_current %v, line saying it is not: %v; want false, true", current, line)
	}
}
