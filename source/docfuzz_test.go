package source

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkDocument checks what every extracted document shares: UTF-8, a
// one-line title of bounded length, a text without white space at its ends.
func checkDocument(t *testing.T, kind string, d document) {
	t.Helper()
	if !utf8.ValidString(d.title) || !utf8.ValidString(d.text) {
		t.Fatalf("%s: invalid UTF-8 out: title %q text %q", kind, d.title, d.text)
	}
	if strings.ContainsAny(d.title, "\n\r") || utf8.RuneCountInString(d.title) > maxTitleRunes+1 {
		t.Fatalf("%s: title %q is not one short line", kind, d.title)
	}
	if d.title != strings.TrimSpace(d.title) || d.text != strings.TrimSpace(d.text) {
		t.Fatalf("%s: untrimmed title %q or text %q", kind, d.title, d.text)
	}
}

func FuzzDocumentText(f *testing.F) {
	for _, s := range []string{
		"# Title\nbody",
		"---\ntitle: x\n---\ntext",
		"Setext\n===\n```\n# no\n```",
		"<html><head><title>T &amp; t</title><script>x<y</script></head><body><p>a<br>b</p><pre>\n c</pre></body></html>",
		"<template><p>x</template></template><svg><style>s</style></svg>",
		"<meta charset=\"iso-8859-1\"><p>caf\xe9</p>",
		"\xff\xfeh\x00i\x00",
		"\uFEFFplain\r\ntext\x00",
		"<textarea><script>SALVOSECRET</script>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		for _, kind := range []docKind{docText, docMarkdown, docHTML} {
			d, err := readDocument([]byte(input), kind)
			if err != nil {
				var ee *EncodingError
				if !errors.As(err, &ee) || ee.Offset < 0 || ee.Offset >= 4*int64(len(input)) /* offsets count the decoded text */ || ee.Line < 1 {
					t.Fatalf("kind %d: error %v for %q", kind, err, input)
				}
				continue
			}
			checkDocument(t, "readDocument", d)
		}
		if !utf8.ValidString(input) {
			return
		}
		// A script before anything else is never text, whatever follows.
		d := htmlDocument("<script>SALVOSECRET</script>" + input)
		checkDocument(t, "html", d)
		if strings.Contains(d.text, "SALVOSECRET") && !strings.Contains(input, "SALVOSECRET") {
			t.Fatalf("script content in the text of %q: %q", input, d.text)
		}
		// Text without markup or references is its words, one space apart.
		if !strings.ContainsAny(input, "<&") {
			want := strings.TrimSpace(strings.Join(strings.FieldsFunc(input, func(r rune) bool { return strings.ContainsRune(" \t\n\r\f", r) }), " "))
			if got := htmlDocument(input).text; got != want && !strings.ContainsRune(input, 0) {
				t.Fatalf("htmlDocument(%q).text = %q, want %q", input, got, want)
			}
		}
		checkDocument(t, "markdown", markdownDocument(input))
	})
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"**/*.md", "a/b/c.md"},
		{"{a,b/**}/x?.{md,txt}", "b/c/x1.txt"},
		{".*/**/[a-c]*", ".git/x/b"},
		{`\{lit\}/*`, "{lit}/y"},
		{"x/**/**/y", "x/y"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if len(pattern) > 64 || strings.Count(pattern, "**") > 4 {
			return // keep the exponential cases of "**" small
		}
		g, _ := parseGlob("root/" + pattern)
		if len(g.alts) > maxBraceAlternatives*2 {
			t.Fatalf("%d alternatives for %q", len(g.alts), pattern)
		}
		segs := strings.Split(path, "/")
		for _, s := range segs {
			if s == "" || s == "." || s == ".." {
				return
			}
		}
		if !g.matches(segs) {
			return
		}
		// The walk must enter every folder on the way to a match.
		for k := range segs {
			if !g.descends(segs[:k]) {
				t.Fatalf("%q matches %q, but the walk would not enter %q", pattern, path, strings.Join(segs[:k], "/"))
			}
		}
	})
}
