package jsonscan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/internal/tools/moviegen"
)

// BenchmarkSkipRecords skips whole movie records of about 2 KB, mostly
// strings, as a reader does with the fields a template does not use.
func BenchmarkSkipRecords(b *testing.B) {
	var buf bytes.Buffer
	if err := moviegen.Generate(7, 200, &buf); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		for _, l := range lines {
			if s := NewScanner(l); !s.Skip() || !s.End() {
				b.Fatal("Skip failed")
			}
		}
	}
}

// skipString accepts the strings Quoted accepts, and ends where it ends.
func FuzzSkipString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"x`, "\"\xff\"", `"é"`, "\"a\x01\"", `"abc`, `"0123456789\u00e9abcdef"`, "\"0123456789abcde\x1f\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) == 0 || doc[0] != '"' {
			return
		}
		q := NewScanner(doc)
		_, _, qok := q.Quoted()
		k := NewScanner(doc)
		if kok := k.skipString(); kok != qok || kok && k.i != q.i {
			t.Fatalf("%q: skipString %v at %d, Quoted %v at %d", doc, kok, k.i, qok, q.i)
		}
	})
}

// control agrees with a byte-by-byte look for every byte at every place.
func TestControl(t *testing.T) {
	for c := range 256 {
		for at := range 20 {
			b := []byte(strings.Repeat("a", 20))
			b[at] = byte(c)
			if got, want := control(b), c < 0x20; got != want {
				t.Fatalf("byte %#x at %d: control = %v", c, at, got)
			}
		}
	}
}
