package e2e

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The package comments of the root package and of the command say that the
// vectors go to SQLite or PostgreSQL, not SQLite alone.
func TestDocCommentsNameBothStores(t *testing.T) {
	root := repoRoot(t)
	for _, file := range []string{"salvo.go", filepath.Join("cmd", "salvo", "main.go")} {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, file), nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		doc := f.Doc.Text()
		if strings.Contains(doc, "SQLite") && !strings.Contains(doc, "PostgreSQL") {
			t.Errorf("%s's package comment names SQLite and not PostgreSQL:\n%s", file, doc)
		}
	}
}

// README.md has no empty section (a heading followed by another of the same
// level or above) and no heading twice.
func TestREADMEHeadings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	level := func(line string) int {
		n := len(line) - len(strings.TrimLeft(line, "#"))
		if n == 0 || n >= len(line) || line[n] != ' ' {
			return 0
		}
		return n
	}
	seen := map[string]int{}
	prev, prevLine, fence := 0, 0, false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if fence {
			prev = 0
			continue
		}
		l := level(line)
		if l == 0 {
			if strings.TrimSpace(line) != "" {
				prev = 0
			}
			continue
		}
		if prev != 0 && l <= prev {
			t.Errorf("README.md:%d: the section of line %d is empty", i+1, prevLine)
		}
		if first, ok := seen[line]; ok {
			t.Errorf("README.md:%d: %q is also the heading of line %d", i+1, line, first)
		}
		seen[line] = i + 1
		prev, prevLine = l, i+1
	}
}
