package source

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
)

// writeTree creates files (path → content) under the current folder.
func writeTree(t *testing.T, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readFiles reads every outcome of OpenFiles(patterns): "id path | title"
// for a record, "err WHERE: message" for a record error.
func readFiles(t *testing.T, patterns ...string) ([]string, []*salvo.Record, *Reader) {
	t.Helper()
	r, err := OpenFiles(patterns)
	if err != nil {
		t.Fatalf("OpenFiles(%q): %v", patterns, err)
	}
	defer r.Close()
	if r.Format() != FormatFiles {
		t.Errorf("Format() = %q, want %q", r.Format(), FormatFiles)
	}
	var out []string
	var recs []*salvo.Record
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("reader does not end")
		}
		rec, err := r.Next()
		if err == io.EOF {
			return out, recs, r
		}
		if err != nil {
			var le *salvo.RecordError
			if !errors.As(err, &le) {
				t.Fatalf("fatal error from Next: %v", err)
			}
			out = append(out, "err "+err.Error())
			continue
		}
		if rec.Where() != rec.Fields[FieldPath] {
			t.Errorf("record %s: Where() = %q, want its path %q", rec.ID, rec.Where(), rec.Fields[FieldPath])
		}
		out = append(out, rec.ID+" "+rec.Fields[FieldPath].(string)+" | "+rec.Fields[FieldTitle].(string))
		recs = append(recs, rec)
	}
}

var tree = map[string]string{
	"notes/a.md":             "Intro line\n\n# Alpha notes\n\nBody of a.\n",
	"notes/sub/b.md":         "---\ntitle: \"Bravo\"\ntags: [x]\n---\n# Not the title\nText of b.\n",
	"notes/sub/deep/c.txt":   "\n\n  Charlie first line  \nsecond\n",
	"notes/sub/deep/d.MD":    "no heading here\n",
	"notes/img.png":          "\x89PNG\r\n",
	"notes/data.json":        "{}",
	"notes/.hidden/x.md":     "# hidden\n",
	"notes/.draft.md":        "# draft\n",
	"site/index.html":        "<html><head><title>Home  page</title><style>p{color:red}</style></head><body><h1>Welcome</h1><p>Hello <b>world</b>.</p><script>var secret=1;</script></body></html>",
	"site/blog/post.htm":     "<h2>Post heading</h2><p>one</p><p>two</p>",
	"site/blog/skip.html.gz": "x",
}

func TestOpenFilesGlobs(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	out, recs, r := readFiles(t, "notes/**/*.md", "site/**/*.html")
	want := []string{
		"a.md notes/a.md | Alpha notes",
		"sub/b.md notes/sub/b.md | Bravo",
		"index.html site/index.html | Home page",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if got := recs[1].Fields[FieldText]; got != "# Not the title\nText of b." {
		t.Errorf("b.md text = %q: the front matter should be gone", got)
	}
	if got := recs[2].Fields[FieldText]; got != "Welcome\n\nHello world." {
		t.Errorf("index.html text = %q", got)
	}
	if s := r.Skipped(); s.Count != 0 {
		t.Errorf("Skipped() = %+v, want none: the patterns name only documents", s)
	}
}

func TestOpenFilesSkipsOtherFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	out, _, r := readFiles(t, "notes/**")
	want := []string{
		"a.md notes/a.md | Alpha notes",
		"sub/b.md notes/sub/b.md | Bravo",
		"sub/deep/c.txt notes/sub/deep/c.txt | Charlie first line",
		"sub/deep/d.MD notes/sub/deep/d.MD | no heading here",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if s := r.Skipped(); s.Count != 2 || s.Example != filepath.Join("notes", "data.json") {
		t.Errorf("Skipped() = %+v, want 2 (data.json, img.png), the first data.json", s)
	}
}

func TestOpenFilesPlainPaths(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	// What a shell gives for an unquoted notes/*/*.md: plain paths, IDs as given.
	out, _, _ := readFiles(t, "notes/sub/b.md", "./notes/a.md")
	want := []string{
		"notes/sub/b.md notes/sub/b.md | Bravo",
		"notes/a.md ./notes/a.md | Alpha notes",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	// A folder is every file under it, IDs relative to it.
	out, _, _ = readFiles(t, "site")
	want = []string{
		"blog/post.htm site/blog/post.htm | Post heading",
		"index.html site/index.html | Home page",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
}

func TestOpenFilesBracesAndOverlap(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	// The root is before the first metacharacter, the brace: ".".
	out, _, _ := readFiles(t, "{notes,site}/*.{md,html}")
	want := []string{
		"notes/a.md notes/a.md | Alpha notes",
		"site/index.html site/index.html | Home page",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	// A file two patterns match is read once.
	out, _, _ = readFiles(t, "notes/*.md", "notes/**/*.md")
	want = []string{
		"a.md notes/a.md | Alpha notes",
		"sub/b.md notes/sub/b.md | Bravo",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	// Hidden files need a pattern part that starts with '.'.
	out, _, _ = readFiles(t, "notes/.*.md", "notes/.hidden/*.md")
	want = []string{
		".draft.md notes/.draft.md | draft",
		"x.md notes/.hidden/x.md | hidden", // its root is notes/.hidden
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
}

func TestOpenFilesErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	for _, c := range []struct{ pattern, msg string }{
		{"nowhere/**/*.md", "nowhere/**/*.md: the folder nowhere does not exist (the pattern's files are looked for under it)"},
		{"notes/missing.md", "notes/missing.md: no such file or folder"},
		{"notes/a.md/*.md", "notes/a.md/*.md: not a folder"},
	} {
		_, err := OpenFiles([]string{"notes/*.md", c.pattern})
		var pe *PatternError
		if !IsInputError(err) || !errors.As(err, &pe) || err.Error() != c.msg {
			t.Errorf("OpenFiles(%q) = %v, want an InputError with a PatternError %q", c.pattern, err, c.msg)
		}
	}

	// A pattern that matches nothing is one record error, and reading goes on.
	out, _, _ := readFiles(t, "notes/*.mdx", "site/*.html")
	if len(out) != 2 || !strings.HasPrefix(out[0], "err notes/*.mdx: no file under notes matches") || !strings.HasPrefix(out[1], "index.html ") {
		t.Errorf("got %q, want the no-match error, then index.html", out)
	}
}

func TestOpenFilesBadFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, map[string]string{
		"d/1.md":       "# one\n",
		"d/2.md":       "# two\nline two caf\xe9\n",
		"d/3.txt":      "nul\x00byte",
		"d/4.txt":      "four\n",
		"d/5.txt":      strings.Repeat("x", 200),
		"d/6.html":     "<meta charset=\"iso-8859-1\"><title>Caf\xe9</title><p>cr\xe8me</p>",
		"d/7.txt":      "\xff\xfeU\x00T\x00F\x00-\x001\x006\x00",
		"d/locked.txt": "secret",
	})
	if err := os.Chmod("d/locked.txt", 0); err != nil {
		t.Fatal(err)
	}
	locked := true
	if f, err := os.Open("d/locked.txt"); err == nil { // running as root
		f.Close()
		locked = false
	}
	defer func(old int64) { docLimit = old }(docLimit)
	docLimit = 100
	out, recs, _ := readFiles(t, "d/*")
	want := []string{
		"1.md d/1.md | one",
		"err d/2.md: not UTF-8 text: the byte 0xe9 at line 2 (offset 18) starts no UTF-8 sequence; save the file as UTF-8 (from Latin-1: iconv -f LATIN1 -t UTF-8 FILE > NEW)",
		"err d/3.txt: not a text file: line 1 holds a NUL byte (offset 3)",
		"4.txt d/4.txt | four",
		"err d/5.txt: the file holds 200 bytes, more than the 100 bytes salvo reads as one document: split it",
		"6.html d/6.html | Café",
		"7.txt d/7.txt | UTF-16",
		"err d/locked.txt: cannot read it: permission denied",
	}
	if !locked {
		want[len(want)-1] = "locked.txt d/locked.txt | secret"
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	r, _ := OpenFiles([]string{"d/2.md"})
	_, err := r.Next()
	var de *DocumentError
	var ee *EncodingError
	if !errors.As(err, &de) || de.ID != "d/2.md" || !errors.As(err, &ee) || ee.Line != 2 {
		t.Errorf("a non-UTF-8 file: %v, want a DocumentError with its ID and an EncodingError at line 2", err)
	}
	if got := recs[2].Fields[FieldText]; got != "crème" {
		t.Errorf("6.html text = %q, want crème (decoded from its charset)", got)
	}
}

func TestCountFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	n, err := CountFiles([]string{"notes/**", "site/**/*.htm*"})
	if err != nil || n != 6 {
		t.Errorf("CountFiles = %d, %v; want 6 (4 notes, 2 pages; not the png, json or .gz)", n, err)
	}
	if _, err := CountFiles([]string{"nowhere/*"}); !IsInputError(err) {
		t.Errorf("CountFiles of a missing root: %v, want an InputError", err)
	}
}

func TestPatternRoot(t *testing.T) {
	for p, want := range map[string]string{"notes/**/*.md": "notes", "*.md": ".", "a/b.md": "a/b.md", "{x,y}/*": "."} {
		if got := PatternRoot(p); got != filepath.FromSlash(want) {
			t.Errorf("PatternRoot(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestOverlap(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, tree)
	for _, c := range []struct {
		patterns []string
		want     bool
	}{
		{[]string{"notes/**/*.md", "site/**/*.html"}, false},
		{[]string{"notes/*.md", "notes/sub/*.md"}, true},
		{[]string{"notes/sub/b.md", "notes/**"}, true},
		{[]string{"*.md", "site/*.html"}, true},
		{[]string{"notes/a.md", "notes/sub/b.md"}, false},
	} {
		r, err := OpenFiles(c.patterns)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.f.(*filesFormat).seen != nil; got != c.want {
			t.Errorf("OpenFiles(%q) remembers paths: %v, want %v", c.patterns, got, c.want)
		}
	}
}
