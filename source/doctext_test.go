package source

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMarkdownTitle(t *testing.T) {
	for _, c := range []struct{ in, title, text string }{
		{"# Title\nbody", "Title", "# Title\nbody"},
		{"text first\n\n## Second level ##\n", "Second level", "text first\n\n## Second level ##"},
		{"#NoSpace\nplain", "#NoSpace", "#NoSpace\nplain"},
		{"```sh\n# a comment\n```\n# Real\n", "Real", "```sh\n# a comment\n```\n# Real"},
		{"~~~\n# x\n~~~~\nSetext\n======\n", "Setext", "~~~\n# x\n~~~~\nSetext\n======"},
		{"Sub title\n---\nmore", "Sub title", "Sub title\n---\nmore"},
		{"- item\n---\n", "- item", "- item\n---"},
		{"    # indented code\n", "# indented code", "# indented code"},
		{"---\ntitle: 'From front'\n---\n# Heading\n", "From front", "# Heading"},
		{"---\nauthor: x\n---\n\nBody line\n", "Body line", "Body line"},
		{"---\nnot closed\n# H\n", "H", "---\nnot closed\n# H"},
		{"\r\n# CRLF title\r\nbody\r\n", "CRLF title", "# CRLF title\nbody"},
		{"# C# tips #\n", "C# tips", "# C# tips #"},
		{"", "", ""},
	} {
		d := markdownDocument(c.in)
		if d.title != c.title || d.text != c.text {
			t.Errorf("markdownDocument(%q) = title %q, text %q; want %q, %q", c.in, d.title, d.text, c.title, c.text)
		}
	}
}

func TestHTMLText(t *testing.T) {
	for _, c := range []struct{ in, title, text string }{
		{
			`<!doctype html><html><head><title> A &amp; B </title><script>alert("x")</script><style>body{}</style></head>
			<body><nav><a href="/">Home</a> | <a href="/b">Blog</a></nav>
			<article><h1>Big   heading</h1><p>First
			paragraph, <em>with</em> emphasis.</p><p>Second&nbsp;one<br>new line</p>
			<ul><li>one</li><li>two</li></ul><template><p>hidden</p></template><noscript>enable JS</noscript>
			<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table></article></body></html>`,
			"A & B",
			"Home | Blog\n\nBig heading\n\nFirst paragraph, with emphasis.\n\nSecond\u00a0one\nnew line\n\none\ntwo\n\na b\nc",
		},
		{"<h3>Only <i>a</i> heading</h3><p>x</p>", "Only a heading", "Only a heading\n\nx"},
		{"<p>no title at all</p><p>second</p>", "no title at all", "no title at all\n\nsecond"},
		{"<pre>\n  code\n    indented\n</pre><p>after</p>", "code", "code\n    indented\n\nafter"},
		{"<p>a<svg><text>drawn</text></svg>b</p>", "ab", "ab"},
		{"<title>one</title><title>two</title><p>t</p>", "one", "t"},
		{"plain & text, no tags", "plain & text, no tags", "plain & text, no tags"},
		{"<script>never closed", "", ""},
	} {
		d := htmlDocument(c.in)
		if d.title != c.title || d.text != c.text {
			t.Errorf("htmlDocument(%q)\n = title %q, text %q\nwant title %q, text %q", c.in, d.title, d.text, c.title, c.text)
		}
	}
}

func TestPlainTextAndTitles(t *testing.T) {
	d, err := readDocument([]byte("\uFEFF\r\n  First line  \r\nsecond\r\n"), docText)
	if err != nil || d.title != "First line" || d.text != "First line  \nsecond" {
		t.Errorf("readDocument(text) = %+v, %v", d, err)
	}
	long := strings.Repeat("word ", 100)
	title := shortTitle(long)
	if n := utf8.RuneCountInString(title); n > maxTitleRunes+1 || !strings.HasSuffix(title, "word…") {
		t.Errorf("shortTitle cut a long line to %d runes: %q", n, title)
	}
	if got := shortTitle(strings.Repeat("é", 300)); utf8.RuneCountInString(got) != maxTitleRunes+1 || !utf8.ValidString(got) {
		t.Errorf("shortTitle of 300 runes without a space = %q", got)
	}
	for name, want := range map[string]docKind{
		"a.md": docMarkdown, "A.MARKDOWN": docMarkdown, "x.txt": docText, "p.HTM": docHTML,
		"p.html": docHTML, "p.html.gz": docNone, "README": docNone, "a.md/b": docNone, "x.pdf": docNone,
	} {
		if got := docKindOf(name); got != want {
			t.Errorf("docKindOf(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestHTMLCharset(t *testing.T) {
	for _, c := range []struct {
		in, text string
		fails    bool
	}{
		{"<meta charset=\"windows-1252\"><p>\x93quoted\x94</p>", "\u201cquoted\u201d", false},
		{"<p>caf\xe9 without a declaration</p>", "café without a declaration", false}, // the HTML standard's windows-1252
		{"<meta charset=\"iso-8859-1\"><p>déjà vu</p>", "déjà vu", false},             // valid UTF-8 wins over the label
		{"<meta charset=\"utf-8\"><p>caf\xe9</p>", "", true},
	} {
		d, err := readDocument([]byte(c.in), docHTML)
		if c.fails {
			if err == nil {
				t.Errorf("readDocument(%q) = %+v, want an EncodingError", c.in, d)
			}
			continue
		}
		if err != nil || d.text != c.text {
			t.Errorf("readDocument(%q) = %q, %v; want %q", c.in, d.text, err, c.text)
		}
	}
}
