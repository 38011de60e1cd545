package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// Every run says what it did to the collection: added, updated (the text
// changed), unchanged and deleted records, in the report line and in --json.
func TestRunReportsAddedUpdatedUnchangedDeleted(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	in := writeFile(t, dir, "m.jsonl", planFirst)
	line := regexp.MustCompile(`(?m)^salvo: .* in [0-9.]+s( \([0-9.]+ emb/s\))?; (.*)$`)
	check := func(r result, want map[string]int, text string) {
		t.Helper()
		m := r.summary(t)
		for k, v := range want {
			if num(m, k) != v {
				t.Errorf("%s = %d, want %d: %s", k, num(m, k), v, r.out)
			}
		}
		if got := line.FindStringSubmatch(r.err); got == nil || got[2] != text {
			t.Errorf("report line: %q, want it to end in %q", r.err, text)
		}
	}
	args := []string{"embed", in, "--collection", "m", "--host", s.URL(), "--db", db, "--json"}
	check(run(t, "", args...), map[string]int{"added": 4, "updated": 0, "unchanged": 0, "deleted": 0}, "4 added, 0 updated, 0 unchanged, 0 deleted")
	// a unchanged, b changed, e and f new (f's text is cached), the second e a duplicate.
	if err := os.WriteFile(in, []byte(planSecond), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", args...)
	check(r, map[string]int{"added": 2, "updated": 1, "unchanged": 1, "deleted": 0}, "2 added, 1 updated, 1 unchanged, 0 deleted")
	// Again, with the duplicate resolved: nothing changes.
	if err := os.WriteFile(in, []byte(planSecond[:len(planSecond)-len("{\"id\":\"e\",\"text\":\"epsilon again\"}\n")]), 0o644); err != nil {
		t.Fatal(err)
	}
	check(run(t, "", args...), map[string]int{"added": 0, "updated": 0, "unchanged": 4, "deleted": 0}, "0 added, 0 updated, 4 unchanged, 0 deleted")
}
