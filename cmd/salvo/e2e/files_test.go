package e2e

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// filesRun runs a command line through bash in dir, with salvo on the PATH
// and the fake server as OLLAMA_HOST, and returns its exit code, stdout and
// stderr.
func filesRun(t *testing.T, bin, dir, host, line string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "OLLAMA_HOST="+host)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return code, out.String(), errb.String()
}

// filesSummary is the part of salvo embed --json that --files adds to.
type filesSummary struct {
	Read, Embedded, Cached, Failed, Added, Updated, Unchanged, Deleted int
	Skipped                                                            *int   `json:"skipped_files"`
	Collection                                                         string `json:"collection"`
}

func decodeSummary(t *testing.T, line, out, errs string) filesSummary {
	t.Helper()
	var s filesSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%s: --json output %q: %v\nstderr:\n%s", line, out, err, errs)
	}
	return s
}

// The command line on a folder of notes and a site: one record per
// file, IDs relative to each pattern's root, then what every run of salvo
// does with them: nothing sent again, --plan, --prune of a deleted file,
// --limit, a file that cannot be read, and files that are not documents.
func TestEmbedFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it through bash")
	}
	bin := buildSalvo(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"notes/a.md":          "# Alpha\n\nThe first note.\n",
		"notes/sub/b.md":      "---\ntitle: Bravo\n---\nThe second note.\n",
		"notes/img.png":       "\x89PNG\r\n",
		"notes/sub/c.txt":     "not matched by *.md\n",
		"site/index.html":     "<title>Home</title><script>var x</script><p>Welcome home.</p>",
		"site/blog/post.html": "<h1>Post</h1><p>A post.</p>",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := ollamatest.New(ollamatest.Config{Dims: 16})
	t.Cleanup(srv.Close)
	host := srv.URL()
	const line = `salvo embed --files 'notes/**/*.md' 'site/**/*.html'`

	code, out, errs := filesRun(t, bin, dir, host, line+" --json")
	s := decodeSummary(t, line, out, errs)
	if code != 0 || s.Read != 4 || s.Embedded != 4 || s.Added != 4 || s.Skipped == nil || *s.Skipped != 0 || s.Collection != "notes" {
		t.Fatalf("%s: exit %d, %+v; want 4 read, embedded and added, 0 skipped, collection notes\n%s", line, code, s, errs)
	}
	db := filepath.Join(dir, "salvo.db")
	ids := slices.Sorted(maps.Keys(exported(t, db)))
	if want := []string{"a.md", "blog/post.html", "index.html", "sub/b.md"}; !slices.Equal(ids, want) {
		t.Errorf("IDs %q, want %q (paths below each pattern's root)", ids, want)
	}
	r := salvo(t, "search", "--db", db, "--host", host, "--collection", "notes", "--k", "4", "--json", "Welcome home")
	for _, want := range []string{`"title":"Home"`, `"path":"site/index.html"`, `"text":"Welcome home."`, `"title":"Bravo"`} {
		if !strings.Contains(r.out, want) {
			t.Errorf("search --json lacks %s (the fields kept by default): %s%s", want, r.out, r.err)
		}
	}

	// An unquoted pattern, expanded by the shell: plain paths, each its own ID.
	code, out, errs = filesRun(t, bin, dir, host, "salvo embed --files notes/*.md notes/*/*.md --db expanded.db --json")
	if s := decodeSummary(t, "expanded", out, errs); code != 0 || s.Read != 2 || s.Collection != "notes" {
		t.Errorf("paths the shell expanded: exit %d, %+v; want 2 read into collection notes\n%s", code, s, errs)
	}
	if ids := slices.Sorted(maps.Keys(exported(t, filepath.Join(dir, "expanded.db")))); !slices.Equal(ids, []string{"notes/a.md", "notes/sub/b.md"}) {
		t.Errorf("paths the shell expanded: IDs %q, want the paths as given", ids)
	}

	// The same line again sends nothing.
	code, out, errs = filesRun(t, bin, dir, host, line+" --json")
	if s := decodeSummary(t, line, out, errs); code != 0 || s.Embedded != 0 || s.Unchanged != 4 {
		t.Errorf("second run: exit %d, %+v; want 0 embedded, 4 unchanged\n%s", code, s, errs)
	}

	// An edited file and a deleted one: --plan says so, --prune deletes it.
	if err := os.WriteFile(filepath.Join(dir, "notes/a.md"), []byte("# Alpha\n\nEdited.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "notes/sub/b.md")); err != nil {
		t.Fatal(err)
	}
	code, out, errs = filesRun(t, bin, dir, host, line+" --plan --json")
	var plan struct{ New, Changed, Unchanged, Gone int }
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 || plan.Changed != 1 || plan.Unchanged != 2 || plan.Gone != 1 {
		t.Errorf("--plan: exit %d, %+v (%v); want 1 changed, 2 unchanged, 1 gone\n%s%s", code, plan, err, out, errs)
	}
	code, out, errs = filesRun(t, bin, dir, host, line+" --prune --json")
	if s := decodeSummary(t, line, out, errs); code != 0 || s.Embedded != 1 || s.Updated != 1 || s.Deleted != 1 {
		t.Errorf("--prune: exit %d, %+v; want 1 embedded, 1 updated, 1 deleted\n%s", code, s, errs)
	}
	if ids := slices.Sorted(maps.Keys(exported(t, db))); !slices.Equal(ids, []string{"a.md", "blog/post.html", "index.html"}) {
		t.Errorf("after --prune: IDs %q, want sub/b.md gone", ids)
	}

	// A file that is no UTF-8 text fails alone, named; its stored record
	// is not pruned, since its ID is known.
	if err := os.WriteFile(filepath.Join(dir, "notes/a.md"), []byte("# Alpha\ncaf\xe9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = filesRun(t, bin, dir, host, line+" --prune --json")
	s = decodeSummary(t, line, out, errs)
	if code != 2 || s.Failed != 1 || s.Unchanged != 2 || s.Deleted != 0 || !strings.Contains(errs, "notes/a.md (id a.md)") || !strings.Contains(errs, "not UTF-8 text: the byte 0xe9 at line 2") {
		t.Errorf("a Latin-1 file: exit %d, %+v; want exit 2, 1 failed naming notes/a.md, 0 deleted\n%s", code, s, errs)
	}
	if ids := exported(t, db); len(ids) != 3 {
		t.Errorf("after a failed file and --prune: %d records, want 3 (a.md kept)", len(ids))
	}

	// --limit, and a folder: every file below it, the image skipped and counted.
	code, out, errs = filesRun(t, bin, dir, host, "salvo embed --files notes site --collection all --limit 2 --json")
	if s := decodeSummary(t, "--limit", out, errs); s.Read != 2 {
		t.Errorf("--limit 2: exit %d, %+v; want 2 read\n%s", code, s, errs)
	}
	code, out, errs = filesRun(t, bin, dir, host, "salvo embed --files notes --collection all2")
	if code != 2 || !strings.Contains(errs, "1 file skipped: salvo reads .txt, .text, .md, .markdown, .html and .htm (e.g. notes/img.png)") {
		t.Errorf("a folder with an image: exit %d, want the image skipped and reported\n%s%s", code, out, errs)
	}
}
