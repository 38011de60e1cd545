package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// page is an HTML page of about n paragraphs, with the usual chrome.
func page(n int) string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>A page</title><script>var a = 1 < 2;</script><style>p { margin: 0 }</style></head><body><nav><a href=/>Home</a></nav><main><h1>Heading</h1>")
	for i := range n {
		fmt.Fprintf(&b, "<p>Paragraph %d with <em>some</em> inline <a href=\"/x\">markup</a> &amp; an entity.</p>\n", i)
	}
	b.WriteString("</main></body></html>")
	return b.String()
}

// BenchmarkHTMLDocument measures the text extraction of a 30 KB page.
func BenchmarkHTMLDocument(b *testing.B) {
	p := page(400)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if d := htmlDocument(p); d.title != "A page" {
			b.Fatal(d.title)
		}
	}
}

// BenchmarkOpenFiles measures reading 200 Markdown files through a "**"
// pattern: the walk, the reads and the extraction.
func BenchmarkOpenFiles(b *testing.B) {
	dir := b.TempDir()
	for i := range 200 {
		p := filepath.Join(dir, fmt.Sprintf("d%d", i%10), fmt.Sprintf("n%03d.md", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("# Note %d\n\n%s", i, strings.Repeat("Some words of a note. ", 100))), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		r, err := OpenFiles([]string{filepath.Join(dir, "**", "*.md")})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
		if n != 200 {
			b.Fatalf("%d files", n)
		}
	}
}
