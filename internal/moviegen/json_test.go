package moviegen

import (
	"encoding/json"
	"io"
	"strconv"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{"tab\tnew\nret\r", `"tab\tnew\nret\r"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<a & b>", `"<a & b>"`},
		{"Zoë in Kraków", `"Zoë in Kraków"`},
		{"bad \xff byte", `"bad \ufffd byte"`},
		{"line\u2028sep\u2029", `"line\u2028sep\u2029"`},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzAppendString checks that appendString always writes a JSON string
// that decodes to what encoding/json's encoding of the same input does.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\n\t", "Zoë", "\xff\xfe", "\u2028", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("appendString(%q) wrote invalid JSON: %v", s, err)
		}
		ref, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json's to %q", s, got, want)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	g := New(1)
	for b.Loop() {
		g.Next()
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var c lineCounter
			for b.Loop() {
				if err := Generate(1, n, &c); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(c.bytes) / int64(b.N))
		})
	}
}

var _ io.Writer = (*lineCounter)(nil)
