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
func prefix(text string, start, max int) (int, bool) {
	tokens, run := 0, 0
	for i := start; i < len(text); {
		b := text[i]
		size, cost := 1, 0
		switch {
		case b < utf8.RuneSelf && alnum(b):
			if run%CharsPerToken == 0 {
				cost = 1
			}
			run++
		case b < utf8.RuneSelf && space(b):
			run = 0
		case b < utf8.RuneSelf:
			cost, run = 1, 0
		default:
			_, size = utf8.DecodeRuneInString(text[i:])
			cost, run = 1, 0
		}
		if max >= 0 && tokens+cost > max {
			return i, true
		}
		tokens += cost
		i += size
	}
	if max >= 0 {
		return len(text), false
	}
	return tokens, false
}

func alnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
