package chunk

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// check verifies what every split must hold: pieces in order, numbered
// from 0, within the text, each starting before the previous one's end
// (or at it) and after the previous one's start, covering the text, cut
// between runes, and within the size bound.
func check(t *testing.T, text string, o Options, ps []Piece) {
	t.Helper()
	if text == "" {
		if len(ps) != 0 {
			t.Fatalf("empty text: %d pieces", len(ps))
		}
		return
	}
	if len(ps) == 0 {
		t.Fatalf("no pieces for %d bytes", len(text))
	}
	if ps[0].Start != 0 || ps[len(ps)-1].End != len(text) {
		t.Fatalf("pieces cover [%d,%d) of [0,%d)", ps[0].Start, ps[len(ps)-1].End, len(text))
	}
	for i, p := range ps {
		if p.Index != i {
			t.Fatalf("piece %d numbered %d", i, p.Index)
		}
		if p.Start < 0 || p.End > len(text) || p.Start >= p.End {
			t.Fatalf("piece %d: bad offsets [%d,%d) in %d bytes", i, p.Start, p.End, len(text))
		}
		if i > 0 {
			q := ps[i-1]
			if p.Start > q.End || p.Start <= q.Start {
				t.Fatalf("piece %d [%d,%d) after piece %d [%d,%d): gap or no progress", i, p.Start, p.End, i-1, q.Start, q.End)
			}
		}
		s := text[p.Start:p.End]
		if utf8.ValidString(text) && !utf8.ValidString(s) {
			t.Fatalf("piece %d [%d,%d) cuts a UTF-8 sequence: %q", i, p.Start, p.End, s)
		}
		if est := Estimate(s); est > o.MaxTokens {
			t.Fatalf("piece %d estimated %d tokens, over %d", i, est, o.MaxTokens)
		}
	}
}

func split(t *testing.T, text string, o Options) []Piece {
	t.Helper()
	ps, err := Split(text, o)
	if err != nil {
		t.Fatal(err)
	}
	check(t, text, o, ps)
	return ps
}

func TestEstimate(t *testing.T) {
	for _, c := range []struct {
		text string
		want int
	}{
		{"", 0},
		{"   \n\t", 0},
		{"a", 1},
		{"abc", 1},
		{"abcd", 2},
		{"the cat sat", 3},
		{"don't", 3},
		{"héllo", 3}, // h, é, llo
		{"日本語", 3},
		{"1,234.5", 5},
		{"\xff\xfe", 2},
	} {
		if got := Estimate(c.text); got != c.want {
			t.Errorf("Estimate(%q) = %d, want %d", c.text, got, c.want)
		}
	}
}

func TestFitsIsOnePiece(t *testing.T) {
	text := "A short text."
	ps := split(t, text, Options{MaxTokens: 100})
	if len(ps) != 1 || ps[0] != (Piece{0, 0, len(text)}) {
		t.Fatalf("pieces %v, want one of the whole text", ps)
	}
	if !Fits(text, 100) || Fits(text, 2) {
		t.Fatal("Fits disagrees with Estimate")
	}
}

func TestCutsAtParagraphs(t *testing.T) {
	para := strings.Repeat("cat ", 30) + "end.\n\n" // 32 tokens
	text := strings.Repeat(para, 4)
	ps := split(t, text, Options{MaxTokens: 70, Overlap: -1})
	if len(ps) != 2 {
		t.Fatalf("%d pieces, want 2: %v", len(ps), ps)
	}
	if ps[0].End != 2*len(para) {
		t.Fatalf("first piece ends at %d, want the paragraph boundary %d", ps[0].End, 2*len(para))
	}
}

func TestCutsAtSentencesThenWords(t *testing.T) {
	sent := strings.Repeat("cat ", 9) + "end. " // 10 tokens
	text := strings.Repeat(sent, 10)
	ps := split(t, text, Options{MaxTokens: 35, Overlap: -1})
	for _, p := range ps[:len(ps)-1] {
		if !strings.HasSuffix(text[:p.End], "end. ") {
			t.Fatalf("piece %v ends inside a sentence: %q", p, text[p.Start:p.End])
		}
	}
	words := strings.Repeat("abcdef ", 100) // no sentences
	for _, p := range split(t, words, Options{MaxTokens: 25, Overlap: -1}) {
		if p.End != len(words) && words[p.End-1] != ' ' {
			t.Fatalf("piece %v ends inside a word", p)
		}
	}
}

func TestNoBoundaryCutsBetweenRunes(t *testing.T) {
	text := strings.Repeat("日本語", 50) // no spaces at all
	ps := split(t, text, Options{MaxTokens: 7, Overlap: 2})
	if len(ps) < 20 {
		t.Fatalf("%d pieces of 150 ideographs at 7 tokens", len(ps))
	}
}

func TestOverlap(t *testing.T) {
	text := strings.Repeat("one two six ten ", 100)
	ps := split(t, text, Options{MaxTokens: 50}) // default: 5 tokens
	for i := 1; i < len(ps); i++ {
		ov := text[ps[i].Start:ps[i-1].End]
		if n := Estimate(ov); n < 3 || n > 5 {
			t.Fatalf("pieces %d and %d share %q (%d tokens), want about 5", i-1, i, ov, n)
		}
	}
	none := split(t, text, Options{MaxTokens: 50, Overlap: -1})
	for i := 1; i < len(none); i++ {
		if none[i].Start != none[i-1].End {
			t.Fatalf("Overlap -1: piece %d starts at %d, previous ends at %d", i, none[i].Start, none[i-1].End)
		}
	}
	if len(none) >= len(ps) {
		t.Fatalf("%d pieces without overlap, %d with", len(none), len(ps))
	}
}

func TestMaxTokensRefused(t *testing.T) {
	if _, err := Split("text", Options{}); !errors.Is(err, ErrMaxTokens) {
		t.Fatalf("err %v, want ErrMaxTokens", err)
	}
}

func TestEachStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Each(strings.Repeat("word ", 1000), Options{MaxTokens: 10}, func(Piece) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err %v after %d pieces, want stop after 3", err, n)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Hello world. This is a test.\n\nNew paragraph here!", 5, 1)
	f.Add(strings.Repeat("日本語 ", 40), 3, 0)
	f.Add("\xff\xfe\xfd abc \xe6\x97", 1, -1)
	f.Add("a\r\n\r\nb. c! d? \"e.\" f", 2, 1)
	f.Add(strings.Repeat("x", 300), 7, 3)
	f.Fuzz(func(t *testing.T, text string, max, ov int) {
		if max < 1 || max > 1000 {
			return
		}
		o := Options{MaxTokens: max, Overlap: ov}
		split(t, text, o)
	})
}

func BenchmarkSplit(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20000) // 900 kB
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Split(text, Options{MaxTokens: 500, Overlap: 250}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestJoin(t *testing.T) {
	text := "Ünïcödé paragraphs.\n\nA second one, with more words in it. And a third sentence here."
	for _, max := range []int{3, 5, 8, 200} {
		for _, overlap := range []int{-1, 0, 2} {
			ps, err := Split(text, Options{MaxTokens: max, Overlap: overlap})
			if err != nil {
				t.Fatal(err)
			}
			texts := make([]string, len(ps))
			for i, p := range ps {
				texts[i] = text[p.Start:p.End]
			}
			if got := Join(ps, texts); got != text {
				t.Errorf("Join(Split(text, %d, %d)) = %q", max, overlap, got)
			}
		}
	}
	if got := Join([]Piece{{0, 0, 3}, {1, 5, 8}}, []string{"abc", "fgh"}); got != "abc fgh" {
		t.Errorf("Join with a gap = %q", got)
	}
}

func FuzzJoin(f *testing.F) {
	f.Add("one two three. four five six.\n\nseven", 3, 1)
	f.Add("ééé ééé ééé", 2, 0)
	f.Fuzz(func(t *testing.T, text string, max, overlap int) {
		if max < 1 || max > 1000 || overlap > 1000 || overlap < -1 {
			return
		}
		ps, err := Split(text, Options{MaxTokens: max, Overlap: overlap})
		if err != nil {
			return
		}
		texts := make([]string, len(ps))
		for i, p := range ps {
			texts[i] = text[p.Start:p.End]
		}
		if got := Join(ps, texts); got != text {
			t.Errorf("Join(Split(%q, %d, %d)) = %q", text, max, overlap, got)
		}
	})
}
