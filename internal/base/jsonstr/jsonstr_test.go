package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func checkAppendString(t *testing.T, s string) {
	t.Helper()
	enc := AppendString([]byte("x"), s)[1:]
	if !json.Valid(enc) {
		t.Fatalf("AppendString(%q) = %q, not valid JSON", s, enc)
	}
	var got string
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatalf("AppendString(%q) = %s, not a JSON string: %v", s, enc, err)
	}
	ref, _ := json.Marshal(s)
	var want string
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("AppendString(%q) decodes to %q, json.Marshal's to %q", s, got, want)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain text, <b>&</b>", `"plain text, <b>&</b>"`},
		{"quote \" backslash \\", `"quote \" backslash \\"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"é ünï 漢字 🎬", `"é ünï 漢字 🎬"`},
		{"bad \xff utf8 \xe2\x82", `"bad \ufffd utf8 \ufffd\ufffd"`},
		{"line\u2028para\u2029", `"line\u2028para\u2029"`},
	}
	for _, tt := range tests {
		if got := string(AppendString(nil, tt.in)); got != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		checkAppendString(t, tt.in)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\n", "\xff\xfe", "\u2028", "漢字"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

// refAppendString is AppendString as it was written before its eight-byte
// scan: a byte at a time. Its output must be the same, byte for byte.
func refAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func FuzzAppendStringBytes(f *testing.F) {
	for _, s := range []string{"", "plain text of more than eight bytes", "0123456\"89abcdef\\", "\x00\x1f\x20\x7f\x80",
		"long line\nwith a tab\tand \xff a bad byte, \u2028 and 漢字 past eight bytes"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := AppendString([]byte("x"), s), refAppendString([]byte("x"), s)
		if string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, byte-wise = %s", s, got, want)
		}
	})
}

// benchTexts is a request's worth of catalog texts: mostly plain ASCII,
// some punctuation to escape and a few words of other scripts.
func benchTexts() []string {
	const sentence = `Elias Alder, an exiled chef in Trieste, has kept a "low profile" for years until a crumbling family restaurant changes everything. `
	texts := make([]string, 64)
	for i := range texts {
		t := "Orbit & Inheritance (1962). Comedy, Drama. " + strings.Repeat(sentence, 3)
		if i%8 == 0 {
			t += "Café Müller — 漢字.\n"
		}
		texts[i] = t
	}
	return texts
}

func BenchmarkAppendString(b *testing.B) {
	texts := benchTexts()
	buf := make([]byte, 0, StringsLen(texts))
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, t := range texts {
			buf = AppendString(buf, t)
		}
	}
}

// PlainRun agrees with a byte-by-byte look for every byte at every place
// of its eight-byte words.
func TestPlainRun(t *testing.T) {
	for c := range 256 {
		for at := range 20 {
			b := []byte(strings.Repeat("a", 20))
			b[at] = byte(c)
			want := at
			if c >= 0x20 && c < 0x80 && c != '"' && c != '\\' {
				want = len(b)
			}
			for from := range at + 1 {
				if got := PlainRun(b, from); got != want {
					t.Fatalf("byte %#x at %d, from %d: PlainRun = %d, want %d", c, at, from, got, want)
				}
			}
		}
	}
}
