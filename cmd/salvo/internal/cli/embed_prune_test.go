package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// catalog is a JSON Lines catalog of the records r<i> for i in ids, each
// with its own text.
func catalog(ids ...int) string {
	var b strings.Builder
	for _, i := range ids {
		fmt.Fprintf(&b, "{\"id\":\"r%d\",\"text\":\"movie number %d\"}\n", i, i)
	}
	return b.String()
}

func upTo(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// exported returns the collection's records as salvo export writes them:
// ID to its line.
func exported(t *testing.T, db, collection string) map[string]string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "v.jsonl")
	if r := run(t, "", "export", "--db", db, "--collection", collection, "--out", out); r.code != ExitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		_, rest, _ := strings.Cut(line, `"id":"`)
		id, _, _ := strings.Cut(rest, `"`)
		recs[id] = line
	}
	return recs
}

func TestEmbedPruneDeletesWhatTheCatalogLost(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("OLLAMA_HOST", s.URL())
	writeFile(t, dir, "movies.jsonl", catalog(upTo(10)...))
	if r := run(t, "", "embed", "movies.jsonl", "--collection", "m"); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	before := exported(t, "salvo.db", "m")
	if len(before) != 10 {
		t.Fatalf("exported %d records after the first run, want 10", len(before))
	}
	writeFile(t, dir, "movies.jsonl", catalog(0, 1, 3, 4, 6, 8, 9))
	s.Reset()

	r := run(t, "", "embed", "movies.jsonl", "--collection", "m", "--prune")
	if r.code != ExitOK {
		t.Fatalf("embed --prune: exit %d: %s", r.code, r.err)
	}
	if !strings.Contains(r.err, "0 added, 0 updated, 7 unchanged, 3 deleted") {
		t.Errorf("report line: %s", r.err)
	}
	if s.Requests() != 0 {
		t.Errorf("--prune of unchanged records sent %d requests", s.Requests())
	}
	after := exported(t, "salvo.db", "m")
	for id, line := range before {
		switch id {
		case "r2", "r5", "r7":
			if _, ok := after[id]; ok {
				t.Errorf("%s is gone from the catalog but still exported", id)
			}
		default:
			if after[id] != line {
				t.Errorf("%s changed: %q, was %q", id, after[id], line)
			}
		}
	}
	if len(after) != 7 {
		t.Errorf("exported %d records, want 7", len(after))
	}
	for _, res := range decodeResults(t, run(t, "", "search", "--collection", "m", "--k", "10", "--json", "movie number 5")).Results {
		if res.ID == "r2" || res.ID == "r5" || res.ID == "r7" {
			t.Errorf("search finds %s, which --prune deleted", res.ID)
		}
	}
	// Again: nothing more is gone.
	r = run(t, "", "embed", "movies.jsonl", "--collection", "m", "--prune", "--json")
	if m := r.summary(t); num(m, "deleted") != 0 || num(m, "unchanged") != 7 || r.code != ExitOK {
		t.Errorf("second --prune: exit %d, %s", r.code, r.out)
	}
}

// pruneSetup embeds catalog 0..n-1 into collection m of a new database and
// returns the server, the input file and the database.
func pruneSetup(t *testing.T, n int) (*ollamatest.Server, string, string) {
	t.Helper()
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	in := writeFile(t, dir, "movies.jsonl", catalog(upTo(n)...))
	db := filepath.Join(dir, "salvo.db")
	if r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	return s, in, db
}

func TestEmbedPruneRefusals(t *testing.T) {
	s, in, db := pruneSetup(t, 10)
	dir := filepath.Dir(in)
	empty := writeFile(t, dir, "empty.jsonl", "")
	four := writeFile(t, dir, "four.jsonl", catalog(0, 1, 2, 3))
	bad := writeFile(t, dir, "bad.jsonl", catalog(0, 1, 2, 3, 4, 5, 6, 7)+"{not json\n")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"limit", []string{in, "--prune", "--limit", "5"},
			"salvo: --prune with --limit: --limit 5 reads only part of the input, and --prune would delete every record past it; drop --limit (or --prune)"},
		{"empty input", []string{empty, "--prune"},
			`salvo: --prune: the input has no records, and pruning would delete every record of collection "m"; nothing pruned (check the input)`},
		{"more than the default 50%", []string{four, "--prune"},
			`salvo: --prune would delete 6 of the 10 records of collection "m" (60%), more than --prune-max 50%; nothing pruned. If the input is complete, allow it with --prune-max 6 (or --prune-max 100%)`},
		{"more than a count", []string{four, "--prune", "--prune-max", "5"},
			`salvo: --prune would delete 6 of the 10 records of collection "m" (60%), more than --prune-max 5; nothing pruned. If the input is complete, allow it with --prune-max 6 (or --prune-max 100%)`},
		{"more than a percentage", []string{four, "--prune", "--prune-max", "59.5%"},
			`more than --prune-max 59.5%; nothing pruned.`},
		{"unreadable record", []string{bad, "--prune", "--prune-max", "100%"},
			"salvo: --prune: 1 records could not be read, so their IDs are unknown and any stored record may be one of them; nothing pruned: fix them (see the failures file) and run again"},
		{"distributed", []string{in, "--prune", "--distributed"},
			"salvo: --prune with --distributed is not supported yet: each process reads only its jobs' records; run the pruning pass once without --distributed"},
		{"prune-max alone", []string{in, "--prune-max", "3"},
			"salvo: --prune-max without --prune: it bounds what --prune deletes; add --prune"},
		{"bad prune-max", []string{in, "--prune", "--prune-max", "150%"},
			`invalid argument "150%" for "--prune-max" flag: "150%": give a count of records (e.g. 100) or a percentage from 0% to 100% (e.g. 50%)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"embed", "--collection", "m", "--host", s.URL(), "--db", db}, c.args...)
			r := run(t, "", args...)
			if r.code != ExitFatal || !strings.Contains(r.err, c.want) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to contain:\n%s", r.code, ExitFatal, r.err, c.want)
			}
			if got := exported(t, db, "m"); len(got) != 10 {
				t.Errorf("%d records left, want all 10", len(got))
			}
		})
	}
	// Within the bound: deleted.
	r := run(t, "", "embed", four, "--collection", "m", "--host", s.URL(), "--db", db, "--prune", "--prune-max", "6", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "deleted") != 6 {
		t.Errorf("--prune-max 6: exit %d: %s %s", r.code, r.out, r.err)
	}
	if got := exported(t, db, "m"); len(got) != 4 {
		t.Errorf("%d records left, want 4", len(got))
	}
}

// Failed records and duplicates are in the input: they are not gone.
func TestEmbedPruneKeepsFailedAndDuplicateRecords(t *testing.T) {
	s, in, db := pruneSetup(t, 6)
	// r0 twice (a duplicate: failed), r1 with no text (failed), r2 as is;
	// r3, r4, r5 gone.
	writeFile(t, filepath.Dir(in), "movies.jsonl", catalog(0, 0, 2)+`{"id":"r1","title":"no text"}`+"\n")
	r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db, "--prune", "--json")
	if r.code != ExitPartial {
		t.Errorf("exit %d, want %d (failed records): %s", r.code, ExitPartial, r.err)
	}
	if m := r.summary(t); num(m, "deleted") != 3 || num(m, "failed") < 2 {
		t.Errorf("deleted %d, failed %d; want 3 deleted and the duplicate and the record without text failed: %s", num(m, "deleted"), num(m, "failed"), r.out)
	}
	got := exported(t, db, "m")
	ids := make([]string, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if strings.Join(ids, ",") != "r0,r1,r2" {
		t.Errorf("records left: %v, want r0, r1 (failed), r2", ids)
	}
}

// Two IDs with one text are two records: pruning one leaves the other and
// the shared cached vector.
func TestEmbedPruneSharedText(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	db := filepath.Join(dir, "salvo.db")
	both := `{"id":"a","text":"same"}` + "\n" + `{"id":"b","text":"same"}` + "\n" + `{"id":"c","text":"other"}` + "\n"
	in := writeFile(t, dir, "movies.jsonl", both)
	args := []string{"embed", in, "--collection", "m", "--host", s.URL(), "--db", db, "--prune", "--json"}
	if r := run(t, "", args...); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	before := exported(t, db, "m")
	writeFile(t, dir, "movies.jsonl", `{"id":"a","text":"same"}`+"\n"+`{"id":"c","text":"other"}`+"\n")
	s.Reset()
	r := run(t, "", args...)
	if m := r.summary(t); r.code != ExitOK || num(m, "deleted") != 1 {
		t.Fatalf("prune b: exit %d: %s %s", r.code, r.out, r.err)
	}
	after := exported(t, db, "m")
	if _, ok := after["b"]; ok || after["a"] != before["a"] || len(after) != 2 {
		t.Errorf("after pruning b: %v; want a as before and c", after)
	}
	// b again: its vector is still cached, so no request.
	writeFile(t, dir, "movies.jsonl", both)
	r = run(t, "", args...)
	if m := r.summary(t); r.code != ExitOK || num(m, "added") != 1 || num(m, "embedded") != 0 || s.Requests() != 0 {
		t.Errorf("b back: exit %d, %d requests: %s", r.code, s.Requests(), r.out)
	}
	if after := exported(t, db, "m"); after["b"] == "" || strings.Replace(after["b"], `"id":"b"`, `"id":"a"`, 1) != before["a"] {
		t.Errorf("b back: %q, want a's vector %q", after["b"], before["a"])
	}
}

func TestEmbedPrunePostgreSQL(t *testing.T) {
	srv := pgtest.PostgreSQL(t)
	s := server(t, ollamatest.Config{Dims: 4})
	db := srv.Fresh(t)
	in := writeFile(t, t.TempDir(), "movies.jsonl", catalog(upTo(10)...))
	if r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	before := exported(t, db, "m")
	writeFile(t, filepath.Dir(in), "movies.jsonl", catalog(0, 1, 3, 4, 6, 8, 9))
	s.Reset()
	r := run(t, "", "embed", in, "--collection", "m", "--host", s.URL(), "--db", db, "--prune", "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "deleted") != 3 || num(m, "unchanged") != 7 {
		t.Fatalf("--prune: exit %d: %s %s", r.code, r.out, r.err)
	}
	if s.Requests() != 0 {
		t.Errorf("--prune of unchanged records sent %d requests", s.Requests())
	}
	after := exported(t, db, "m")
	if len(after) != 7 || after["r2"] != "" || after["r0"] != before["r0"] {
		t.Errorf("after --prune: %d records, r2 %q, r0 %q (was %q)", len(after), after["r2"], after["r0"], before["r0"])
	}
}

func FuzzPruneLimit(f *testing.F) {
	for _, s := range []string{"50%", "0", "10", "100%", "0%", "12.5%", "-1", "150%", "x", " 7 ", "NaN%", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var l pruneLimit
		if err := l.Set(s); err != nil {
			return
		}
		var again pruneLimit
		if err := again.Set(l.String()); err != nil || again != l {
			t.Fatalf("Set(%q) = %+v, whose String %q gives %+v, %v", s, l, l.String(), again, err)
		}
		if !l.allows(0, 10) {
			t.Errorf("%q refuses to delete nothing", s)
		}
		if l.percent && !l.allows(int64(l.pct/10), 10) {
			t.Errorf("%q refuses %d of 10", s, int64(l.pct/10))
		}
	})
}
