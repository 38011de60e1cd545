package chunk

import "unicode/utf8"

// CharsPerToken is how many ASCII letters and digits in a row [Estimate]
// counts as one token. Word-piece and BPE vocabularies hold most English
// words whole and cut rare ones into pieces of 3 to 5 characters, so 3
// over-counts ordinary prose by about half and long rare words a little.
const CharsPerToken = 3

// Estimate returns an estimate, on the high side, of the number of tokens
// a model makes of text (the special tokens it adds are not counted):
// each run of ASCII letters and digits counts one token per
// [CharsPerToken] characters started, white space counts none, and every
// other character (punctuation, symbols, letters outside ASCII, ideographs,
// invalid bytes) one token each.
func Estimate(text string) int {
	n, _ := prefix(text, 0, -1)
	return n
}

// prefix scans text from start. With max >= 0 it returns the furthest
// rune boundary end such that text[start:end] is estimated at most max
// tokens, and whether the rest of the text is estimated above max. With
// max < 0 it returns the estimate of text[start:].
//
// No byte costs more than one token, so a text with no more bytes than max
// fits without a look; a run of letters and digits is measured whole.
func prefix(text string, start, max int) (int, bool) {
	if max >= 0 && len(text)-start <= max {
		return len(text), false
	}
	tokens := 0
	for i := start; i < len(text); {
		switch classes[text[i]] {
		case classAlnum:
			j := i + 1
			for j < len(text) && classes[text[j]] == classAlnum {
				j++
			}
			cost := (j - i + CharsPerToken - 1) / CharsPerToken
			if max >= 0 && tokens+cost > max {
				// The run's byte that starts token max-tokens+1.
				return i + CharsPerToken*(max-tokens), true
			}
			tokens += cost
			i = j
			continue
		case classSpace:
			i++
			continue
		case classOther:
			if max >= 0 && tokens+1 > max {
				return i, true
			}
			i++
		default:
			if max >= 0 && tokens+1 > max {
				return i, true
			}
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size
		}
		tokens++
	}
	if max >= 0 {
		return len(text), false
	}
	return tokens, false
}

// The classes of bytes for the estimate.
const (
	classAlnum = iota // ASCII letter or digit
	classSpace        // ASCII white space
	classOther        // other ASCII
	classRune         // the start of a rune beyond ASCII, or an invalid byte
)

var classes = func() (c [256]uint8) {
	for b := range c {
		switch {
		case b >= utf8.RuneSelf:
			c[b] = classRune
		case alnum(byte(b)):
			c[b] = classAlnum
		case space(byte(b)):
			c[b] = classSpace
		default:
			c[b] = classOther
		}
	}
	return c
}()

func alnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
