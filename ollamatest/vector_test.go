package ollamatest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func TestVector(t *testing.T) {
	a := Vector("nomic-embed-text", "hello", 768)
	if len(a) != 768 || math.Abs(length(a)-1) > 1e-6 {
		t.Fatalf("len %d, length %v", len(a), length(a))
	}
	same := []struct{ m1, t1, m2, t2 string }{
		{"nomic-embed-text", "hello", "nomic-embed-text", "hello"},
		{"nomic-embed-text", "hello", "nomic-embed-text:latest", "hello"},
		{"nomic-embed-text", "hello", "registry.ollama.ai/library/Nomic-Embed-Text", "hello"},
	}
	for _, c := range same {
		if !sameVector(Vector(c.m1, c.t1, 32), Vector(c.m2, c.t2, 32)) {
			t.Errorf("Vector(%q, %q) != Vector(%q, %q)", c.m1, c.t1, c.m2, c.t2)
		}
	}
	differ := []struct{ m1, t1, m2, t2 string }{
		{"m", "hello", "m", "hello "},
		{"m", "a", "n", "a"},
		{"m", "bc", "mb", "c"},
		{"m", "", "m", " "},
	}
	for _, c := range differ {
		if sameVector(Vector(c.m1, c.t1, 32), Vector(c.m2, c.t2, 32)) {
			t.Errorf("Vector(%q, %q) == Vector(%q, %q)", c.m1, c.t1, c.m2, c.t2)
		}
	}
	if v := Vector("m", "x", 0); len(v) != 0 {
		t.Errorf("0 dims: %v", v)
	}
}

func TestCutDims(t *testing.T) {
	v := Vector("m", "x", 10)
	tests := []struct{ d, want int }{{3, 3}, {9, 9}, {10, 10}, {11, 10}, {0, 10}, {-1, 10}}
	for _, tc := range tests {
		c := CutDims(v, tc.d)
		if len(c) != tc.want || math.Abs(length(c)-1) > 1e-6 {
			t.Errorf("CutDims(%d): len %d, length %v", tc.d, len(c), length(c))
		}
		for i := range c {
			if (c[i] > 0) != (v[i] > 0) {
				t.Errorf("CutDims(%d) changed a sign at %d", tc.d, i)
			}
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nomic-embed-text", "nomic-embed-text:latest"},
		{"Nomic-Embed-Text:V1.5", "nomic-embed-text:v1.5"},
		{"library/all-minilm", "all-minilm:latest"},
		{"registry.ollama.ai/library/bge-m3:567m", "bge-m3:567m"},
		{"localhost:5000/team/model", "localhost:5000/team/model:latest"},
		{"hf.co/user/repo:Q4", "hf.co/user/repo:q4"},
	}
	for _, tc := range tests {
		if got := canonical(tc.in); got != tc.want {
			t.Errorf("canonical(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFitContext(t *testing.T) {
	tests := []struct {
		text   string
		limit  int
		kept   string
		tokens int
		cut    bool
	}{
		{"", 0, "", 1, false},
		{"   ", 3, "   ", 1, false},
		{"a b c", 0, "a b c", 3, false},
		{"a b c", 3, "a b c", 3, false},
		{"a b c ", 3, "a b c ", 3, false},
		{"a b c", 2, "a b", 2, true},
		{" a\tb\n\nc d", 2, " a\tb", 2, true},
		{"one", 1, "one", 1, false},
		{"héllo wörld", 1, "héllo", 1, true},
	}
	for _, tc := range tests {
		kept, n, cut := fitContext(tc.text, tc.limit)
		if kept != tc.kept || n != tc.tokens || cut != tc.cut {
			t.Errorf("fitContext(%q, %d) = %q, %d, %v; want %q, %d, %v", tc.text, tc.limit, kept, n, cut, tc.kept, tc.tokens, tc.cut)
		}
	}
}

func TestServerEmbedding(t *testing.T) {
	s := NewUnstarted(Config{Dims: 6, ContextTokens: 2})
	if got, want := s.Embedding("m", "a b c"), Vector("m", "a b", 6); !sameVector(got, want) {
		t.Errorf("Embedding does not apply the context limit")
	}
}

// appendFloat must write what encoding/json writes, so that clients see
// the same text as from Ollama.
func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []float64{0, 1, -1, 0.5, 1e-7, -1e-7, 1e-6, 9.999999e-7, 1e20, 1e21, 123456789, math.SmallestNonzeroFloat32, math.MaxFloat32}
	for range 20000 {
		values = append(values, (rng.Float64()*2-1)*math.Pow(10, float64(rng.IntN(50)-25)))
	}
	for _, f := range values {
		f32 := float32(f)
		want32, _ := json.Marshal(f32)
		if got := appendFloat(nil, float64(f32), 32); string(got) != string(want32) {
			t.Fatalf("float32 %v: got %s, encoding/json %s", f32, got, want32)
		}
		want64, _ := json.Marshal(float64(f32))
		if got := appendFloat(nil, float64(f32), 64); string(got) != string(want64) {
			t.Fatalf("float64 %v: got %s, encoding/json %s", float64(f32), got, want64)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := appendFloat(nil, f, 32); string(got) != "null" {
			t.Errorf("%v written %s, want null", f, got)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "<&>", "\x00\x1f", "\u2028", "bad\xffutf8", "émoji 🙂"} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func TestWordsVector(t *testing.T) {
	dot := func(a, b []float32) float64 {
		s := 0.0
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	doc := WordsVector("m", "The cat sat on the mat, and the dog barked at the mailman.", 256)
	near := WordsVector("m", "dog barked mailman", 256)
	far := WordsVector("m", "quantum chromodynamics lattice", 256)
	if dn, df := dot(doc, near), dot(doc, far); dn < 0.3 || dn <= df+0.2 {
		t.Fatalf("a query sharing words scores %.3f, one sharing none %.3f", dn, df)
	}
	if d := dot(WordsVector("m", "Dog, barked!", 256), WordsVector("m", "dog barked", 256)); d < 0.9999 {
		t.Fatalf("case and punctuation change the vector: dot %.5f", d)
	}
	srv := New(Config{Words: true, Dims: 256})
	defer srv.Close()
	if d := dot(srv.Embedding(DefaultModel, "dog barked"), WordsVector(DefaultModel, "dog barked", 256)); d < 0.9999 {
		t.Fatalf("Config.Words: the server's vector differs from WordsVector (dot %.5f)", d)
	}
}
