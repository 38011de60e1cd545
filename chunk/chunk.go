// Package chunk cuts a long text into pieces that each fit a model's
// context, without a tokenizer of the model: the number of tokens of a
// piece is estimated from its characters, on the high side.
//
// Pieces are cut at paragraph boundaries where one lies in the second half
// of the room a piece has, else at a sentence boundary, else between words,
// else between characters; never inside a UTF-8 sequence. Consecutive
// pieces overlap by about Options.Overlap tokens, so that a sentence cut at
// one edge is whole in one of the two pieces. Every piece carries its byte
// offsets in the text; together the pieces cover it.
package chunk

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Piece is text[Start:End], the piece number Index of a text (from 0).
type Piece struct {
	Index int `json:"index"`
	Start int `json:"start"`
	End   int `json:"end"`
}

// Options say how to cut.
type Options struct {
	// MaxTokens is the most tokens a piece may hold, by [Estimate]. It
	// must be at least 1.
	MaxTokens int
	// Overlap is the number of tokens repeated between a piece and the
	// next: 0 means the default, DefaultOverlap(MaxTokens); a negative
	// value means none. It is at most half of MaxTokens.
	Overlap int
}

// DefaultOverlap is the overlap used when Options.Overlap is 0: a tenth
// of a piece.
func DefaultOverlap(maxTokens int) int { return maxTokens / 10 }

// ErrMaxTokens is returned for Options whose MaxTokens is below 1.
var ErrMaxTokens = errors.New("chunk: a piece must hold at least 1 token")

func (o Options) overlap() int {
	ov := o.Overlap
	if ov == 0 {
		ov = DefaultOverlap(o.MaxTokens)
	}
	if ov < 0 {
		ov = 0
	}
	if ov > o.MaxTokens/2 {
		ov = o.MaxTokens / 2
	}
	return ov
}

// Split returns the pieces of text: none for an empty text, one
// [0,len(text)) for a text that fits.
func Split(text string, o Options) ([]Piece, error) {
	var ps []Piece
	err := Each(text, o, func(p Piece) error {
		ps = append(ps, p)
		return nil
	})
	return ps, err
}

// Fits reports whether text fits in one piece of maxTokens.
func Fits(text string, maxTokens int) bool {
	_, over := prefix(text, 0, maxTokens)
	return !over
}

// Each calls fn with every piece of text in order, without holding them,
// and stops at the first error fn returns.
func Each(text string, o Options, fn func(Piece) error) error {
	if o.MaxTokens < 1 {
		return fmt.Errorf("%w (MaxTokens %d)", ErrMaxTokens, o.MaxTokens)
	}
	ov := o.overlap()
	start := 0
	for i := 0; start < len(text); i++ {
		end := cut(text, start, o.MaxTokens)
		if err := fn(Piece{Index: i, Start: start, End: end}); err != nil {
			return err
		}
		if end == len(text) {
			return nil
		}
		next := end
		if ov > 0 {
			if p := back(text, start, end, ov); p > start {
				next = p
			}
		}
		start = next
	}
	return nil
}

// cut returns where the piece that starts at start ends: the best
// boundary at or before the furthest end whose estimate stays within max.
func cut(text string, start, max int) int {
	hard, over := prefix(text, start, max)
	if !over {
		return len(text)
	}
	// hard is a rune boundary past start: a single rune costs at most 1.
	half := start + (hard-start)/2
	best := [3]int{} // last paragraph, sentence and word boundaries found
	for c := hard; c > start; c-- {
		if c < len(text) && !utf8.RuneStart(text[c]) {
			continue
		}
		l := level(text, c)
		if l == paragraph && c >= half {
			return c
		}
		for k := range best {
			if l >= paragraph-k && best[k] == 0 {
				best[k] = c
			}
		}
		if c < half && best[2] != 0 {
			break
		}
	}
	if best[0] >= half && best[0] > start {
		return best[0]
	}
	if best[1] >= half && best[1] > start {
		return best[1]
	}
	if best[2] > start {
		return best[2]
	}
	return hard
}

const (
	none = iota
	word
	sentence
	paragraph
)

// level says what kind of boundary lies between text[c-1] and text[c].
func level(text string, c int) int {
	if c <= 0 || c >= len(text) {
		return paragraph
	}
	b := text[c-1]
	if !space(b) {
		return none
	}
	if space(text[c]) {
		return none // cut after the whole run of spaces
	}
	// The run of spaces before c, and what precedes it.
	i, nl := c-1, 0
	for i >= 0 && space(text[i]) {
		if text[i] == '\n' {
			nl++
		}
		i--
	}
	switch {
	case nl >= 2:
		return paragraph
	case nl == 1:
		return sentence
	}
	for i >= 0 && closer(text[i]) {
		i--
	}
	if i >= 0 && (text[i] == '.' || text[i] == '!' || text[i] == '?') {
		return sentence
	}
	return word
}

func space(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' || b == '\v'
}

func closer(b byte) bool { return b == '"' || b == '\'' || b == ')' || b == ']' }

// back returns where the next piece starts so that it repeats about ov
// tokens before end: after a space, past start.
func back(text string, start, end, ov int) int {
	// Walk back rune by rune, counting as Estimate does (a run of letters
	// and digits counted from its end), until text[p:end] would exceed ov.
	p, tokens, run := end, 0, 0
	for p > start {
		q := p - 1
		for q > start && !utf8.RuneStart(text[q]) {
			q--
		}
		cost := 1
		switch b := text[q]; {
		case b < utf8.RuneSelf && alnum(b):
			if run%CharsPerToken != 0 {
				cost = 0
			}
			run++
		case b < utf8.RuneSelf && space(b):
			cost, run = 0, 0
		default:
			run = 0
		}
		if tokens+cost > ov {
			break
		}
		tokens += cost
		p = q
	}
	// Move forward to the start of a word.
	for p < end && p > start && !(space(text[p-1]) && !space(text[p])) {
		p++
	}
	if p >= end {
		return end
	}
	return p
}

// Join puts pieces back together: texts[i] is the text of pieces[i], in
// order, and the pieces overlap or follow each other, as [Split] cuts
// them. What two pieces share is kept once, so pieces that cover a text
// give it back whole; a gap between two pieces becomes a space.
func Join(pieces []Piece, texts []string) string {
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b := make([]byte, 0, n)
	end := 0
	for i, p := range pieces {
		t := texts[i]
		switch skip := end - p.Start; {
		case i == 0:
		case skip > 0:
			// The shared bytes end where the previous piece ends, at a
			// character boundary of both.
			t = t[min(skip, len(t)):]
		case skip < 0:
			b = append(b, ' ')
		}
		b = append(b, t...)
		end = max(end, p.End)
	}
	return string(b)
}
