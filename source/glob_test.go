package source

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, root string
		literal       bool
		alts          [][]string
	}{
		{"notes/**/*.md", "notes", false, [][]string{{"**", "*.md"}}},
		{"*.md", ".", false, [][]string{{"*.md"}}},
		{"/srv/site/*.htm?", "/srv/site", false, [][]string{{"*.htm?"}}},
		{"/*.txt", "/", false, [][]string{{"*.txt"}}},
		{"a/b/c.md", "a/b/c.md", true, nil},
		{"docs/{a,b/c}/*.md", "docs", false, [][]string{{"a", "*.md"}, {"b", "c", "*.md"}}},
		{"x/**/**//y*", "x", false, [][]string{{"**", "y*"}}},
		{`lit/\*star`, "lit", false, [][]string{{`\*star`}}},
	} {
		g, literal := parseGlob(c.pattern)
		if g.root != c.root || literal != c.literal || !reflect.DeepEqual(g.alts, c.alts) {
			t.Errorf("parseGlob(%q) = root %q, literal %v, alts %q; want %q, %v, %q", c.pattern, g.root, literal, g.alts, c.root, c.literal, c.alts)
		}
	}
}

func TestExpandBraces(t *testing.T) {
	for in, want := range map[string][]string{
		"a{b,c}d":     {"abd", "acd"},
		"{x,y}{1,2}":  {"x1", "x2", "y1", "y2"},
		"{a,{b,c}}":   {"a", "b", "c"},
		"{single}":    {"{single}"},
		"open{a,b":    {"open{a,b"},
		`\{a,b}`:      {`\{a,b}`},
		"*.{md,,txt}": {"*.md", "*.", "*.txt"},
	} {
		if got := expandBraces(in); !reflect.DeepEqual(got, want) {
			t.Errorf("expandBraces(%q) = %q, want %q", in, got, want)
		}
	}
	if n := len(expandBraces(strings.Repeat("{a,b}", 20))); n > maxBraceAlternatives*2 {
		t.Errorf("20 brace groups gave %d alternatives, want them bounded", n)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"**/*.md", "a.md", true},
		{"**/*.md", "x/y/a.md", true},
		{"**/*.md", "x/y/a.txt", false},
		{"*.md", "x/a.md", false},
		{"x/**", "x/a/b", true},
		{"x/**/b", "x/b", true},
		{"**/*.md", ".git/a.md", false},
		{"**/*.md", "x/.draft.md", false},
		{".*/*.md", ".git/a.md", true},
		{"**/.*.md", "x/.draft.md", true},
		{"?.md", "a.md", true},
		{"[ab].md", "c.md", false},
		{`\*.md`, "*.md", true},
	} {
		g, _ := parseGlob("root/" + c.pattern)
		segs := strings.Split(c.path, "/")
		if got := g.matches(segs); got != c.want {
			t.Errorf("%q matches %q = %v, want %v", c.pattern, c.path, got, c.want)
		}
		if c.want {
			for k := range segs {
				if !g.descends(segs[:k]) {
					t.Errorf("%q: the walk would not enter %q on the way to %q", c.pattern, strings.Join(segs[:k], "/"), c.path)
				}
			}
		}
	}
	g, _ := parseGlob("root/*/b/c.md")
	for dir, want := range map[string]bool{"q": true, "q/b": true, "q/z": false, "q/b/c.md": false, ".git": false} {
		if got := g.descends(strings.Split(dir, "/")); got != want {
			t.Errorf("*/b/c.md: descends(%q) = %v, want %v", dir, got, want)
		}
	}
}
