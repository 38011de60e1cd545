package chunk

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

// prefixByRune is the definition prefix keeps to, rune by rune.
func prefixByRune(text string, start, max int) (int, bool) {
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

func checkPrefix(t *testing.T, text string, start, max int) {
	t.Helper()
	if start < 0 || start > len(text) {
		return
	}
	wantN, wantOver := prefixByRune(text, start, max)
	if n, over := prefix(text, start, max); n != wantN || over != wantOver {
		t.Fatalf("prefix(%q, %d, %d) = %d, %v; want %d, %v", text, start, max, n, over, wantN, wantOver)
	}
	if start == 0 && max >= 0 && Fits(text, max) != !wantOver {
		t.Fatalf("Fits(%q, %d) = %v, want %v", text, max, !wantOver, wantOver)
	}
}

func TestPrefixBounds(t *testing.T) {
	texts := []string{"", "a", "abc", "abcd", "a b", "日本語", "\xff\xfe", "x.y,z", "héllo wörld",
		"abcabcabc", strings.Repeat("word, ", 50), "\xe6\x97 abc"}
	for _, text := range texts {
		for start := 0; start <= len(text); start++ {
			for max := -1; max <= len(text)+2; max++ {
				checkPrefix(t, text, start, max)
			}
		}
	}
}

func FuzzEstimate(f *testing.F) {
	f.Add("Hello world. This is a test.", 0, 5)
	f.Add(strings.Repeat("日本語 ", 10), 3, 12)
	f.Add("\xff\xfe\xfd abc \xe6\x97", 1, -1)
	f.Add("abcdefghij", 0, 10)
	f.Fuzz(checkPrefix)
}

// movieTexts are the texts of n generated movies as salvo embeds them.
func movieTexts(tb testing.TB, n int) []string {
	var buf bytes.Buffer
	if err := moviegen.Generate(7, n, &buf); err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(buf.String()), "\n")
}

// BenchmarkEstimate estimates 1,000 movie records of about 2 kB each.
func BenchmarkEstimate(b *testing.B) {
	texts := movieTexts(b, 1000)
	size := 0
	for _, t := range texts {
		size += len(t)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			Estimate(t)
		}
	}
}

// BenchmarkFits asks whether 1,000 movie records (about 2 kB each) fit a
// piece, as a run with chunking on does for every record: a budget of
// 2,046 tokens (a context of 2,048) and one of 8,190, above their sizes in
// bytes.
func BenchmarkFits(b *testing.B) {
	texts := movieTexts(b, 1000)
	for _, budget := range []int{2046, 8190} {
		b.Run(strconv.Itoa(budget), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range texts {
					if !Fits(t, budget) {
						b.Fatalf("%d bytes do not fit", len(t))
					}
				}
			}
		})
	}
}
