package source

import (
	"path"
	"strings"
)

// A glob is one pattern of [OpenFiles], split at its root: the folder
// before the first segment that holds a metacharacter. Matching is on the
// slash-separated path below the root, segment by segment, as a shell does
// with bash's globstar:
//
//   - '*' matches any run of characters within a segment, '?' one
//     character, '[a-z]' one of a class, '\' escapes the next character
//     (the rules of [path.Match]);
//   - a segment that is exactly "**" matches zero or more whole segments;
//   - '{a,b}' is either alternative (they may hold '/', and nest);
//   - a name that starts with '.' (".git", ".draft.md") is matched only by a
//     segment that starts with '.' too, as in a shell.
type glob struct {
	pattern string     // as given
	root    string     // the folder to walk, as given ("." when the pattern starts with a metacharacter)
	alts    [][]string // the alternatives of the rest after brace expansion, split at '/'
}

// metaChars are the characters that make a segment a pattern.
const metaChars = `*?[{\`

// parseGlob splits pattern at its root. literal is true for a pattern
// without any metacharacter: a plain path (one the shell expanded), whose
// rest is empty.
func parseGlob(pattern string) (g glob, literal bool) {
	g.pattern = pattern
	segs := strings.Split(pattern, "/")
	i := 0
	for i < len(segs) && !strings.ContainsAny(segs[i], metaChars) {
		i++
	}
	if i == len(segs) {
		g.root = pattern
		return g, true
	}
	switch root := strings.Join(segs[:i], "/"); {
	case root == "" && i == 1:
		g.root = "/" // "/*.md"
	case root == "":
		g.root = "."
	default:
		g.root = root
	}
	for _, alt := range expandBraces(strings.Join(segs[i:], "/")) {
		g.alts = append(g.alts, cleanSegs(strings.Split(alt, "/")))
	}
	return g, false
}

// cleanSegs drops empty segments ("a//b") and merges runs of "**".
func cleanSegs(segs []string) []string {
	out := segs[:0]
	for _, s := range segs {
		if s == "" || s == "**" && len(out) > 0 && out[len(out)-1] == "**" {
			continue
		}
		out = append(out, s)
	}
	return out
}

// maxBraceAlternatives bounds brace expansion: "{a,b}{c,d}…" grows
// exponentially, and past this many alternatives the rest stay literal.
const maxBraceAlternatives = 1024

// expandBraces returns the alternatives of s: "a{b,c}d" is "abd" and "acd".
// An unbalanced brace is a literal character.
func expandBraces(s string) []string {
	out := []string{}
	expandInto(s, &out)
	return out
}

func expandInto(s string, out *[]string) {
	open, close, commas := braceGroup(s)
	if open < 0 || len(*out) >= maxBraceAlternatives {
		*out = append(*out, s)
		return
	}
	prefix, suffix := s[:open], s[close+1:]
	start := open + 1
	for _, c := range append(commas, close) {
		expandInto(prefix+s[start:c]+suffix, out)
		start = c + 1
	}
}

// braceGroup finds the first balanced "{…,…}" of s and the commas at its top
// level; open is -1 when there is none. A backslash escapes the next byte.
func braceGroup(s string) (open, close int, commas []int) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth, cs := 0, []int(nil)
			for j := i; j < len(s); j++ {
				switch s[j] {
				case '\\':
					j++
				case '{':
					depth++
				case '}':
					depth--
					if depth == 0 {
						if len(cs) > 0 {
							return i, j, cs
						}
						j = len(s) // "{x}": no alternatives, literal
					}
				case ',':
					if depth == 1 {
						cs = append(cs, j)
					}
				}
			}
		}
	}
	return -1, -1, nil
}

// matchSeg reports whether one name matches one pattern segment.
func matchSeg(pat, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pat, ".") && !strings.HasPrefix(pat, `\.`) {
		return false
	}
	ok, err := path.Match(pat, name)
	return ok && err == nil
}

// match reports whether the segments of a path below the root match pat.
func match(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if match(pat[1:], segs[i:]) {
					return true
				}
				if i < len(segs) && strings.HasPrefix(segs[i], ".") {
					return false // "**" does not enter hidden folders
				}
			}
			return false
		}
		if len(segs) == 0 || !matchSeg(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// mayHold reports whether a folder whose path below the root has segs can
// hold a path that matches pat: whether the walk goes into it.
func mayHold(pat, segs []string) bool {
	for len(segs) > 0 {
		if len(pat) == 0 {
			return false
		}
		if pat[0] == "**" {
			if !strings.HasPrefix(segs[0], ".") {
				return true
			}
			// A hidden folder: only what follows "**" can name it.
			return mayHold(pat[1:], segs)
		}
		if !matchSeg(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(pat) > 0
}

// matches and descends apply match and mayHold to every alternative.
func (g *glob) matches(segs []string) bool {
	for _, alt := range g.alts {
		if match(alt, segs) {
			return true
		}
	}
	return false
}

func (g *glob) descends(segs []string) bool {
	for _, alt := range g.alts {
		if mayHold(alt, segs) {
			return true
		}
	}
	return false
}
