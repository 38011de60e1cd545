package ollamatest

import (
	"math"
	"strings"
	"unicode"
)

// LegacyScale is the length of the vectors that /api/embeddings returns:
// that endpoint does not normalise, and some real models answer it with
// vectors far from unit length.
const LegacyScale = 3

// Vector is the unit vector the server returns for text under model, with
// dims dimensions. It is deterministic and cheap: a xorshift stream seeded by
// FNV-1a of the model's canonical name and the text, so "m" and "m:latest"
// give the same vector and different texts almost surely different ones.
func Vector(model, text string, dims int) []float32 {
	v := make([]float32, max(dims, 0))
	fill(v, seed(canonical(model), text))
	normalize(v)
	return v
}

// CutDims returns the first d values of v scaled back to unit length, what
// Ollama answers for "dimensions": d. It returns v when d is not below
// len(v) or not positive.
func CutDims(v []float32, d int) []float32 {
	if d <= 0 || d >= len(v) {
		return v
	}
	c := make([]float32, d)
	copy(c, v)
	normalize(c)
	return c
}

// Embedding is what /api/embed answers for text under model with default
// options: Vector of the text as cut to the server's ContextTokens.
func (s *Server) Embedding(model, text string) []float32 {
	kept, _, _ := fitContext(text, s.cfg.ContextTokens)
	return s.vector(model, kept)
}

func (s *Server) vector(model, text string) []float32 {
	if s.cfg.Words {
		return WordsVector(model, text, s.cfg.Dims)
	}
	return Vector(model, text, s.cfg.Dims)
}

// WordsVector is the normalised sum of Vector(model, word, dims) over the
// whitespace-separated words of text, lower-cased, with the punctuation
// around them trimmed: texts that share words are near, as with a real
// model. A text without words gets Vector(model, text, dims).
func WordsVector(model, text string, dims int) []float32 {
	v := make([]float32, max(dims, 0))
	w := make([]float32, len(v))
	m := canonical(model)
	n := 0
	for _, word := range strings.Fields(text) {
		word = strings.ToLower(strings.TrimFunc(word, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
		if word == "" {
			continue
		}
		fill(w, seed(m, word))
		for i := range v {
			v[i] += w[i]
		}
		n++
	}
	if n == 0 {
		return Vector(model, text, dims)
	}
	normalize(v)
	return v
}

func seed(model, text string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(model); i++ {
		h = (h ^ uint64(model[i])) * prime
	}
	h = (h ^ 0xff) * prime // separates "ab"+"c" from "a"+"bc"
	for i := 0; i < len(text); i++ {
		h = (h ^ uint64(text[i])) * prime
	}
	if h == 0 {
		h = offset
	}
	return h
}

// fill writes uniform values in [-1, 1) from a xorshift64* stream.
func fill(v []float32, x uint64) {
	for i := range v {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		r := x * 2685821657736338717
		v[i] = float32(int32(r>>40)-(1<<23)) / (1 << 23)
	}
}

// normalize scales v to unit length; a zero vector stays zero, as in
// Ollama, which divides by max(norm, 1e-12).
func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	n := float32(1 / max(math.Sqrt(sum), 1e-12))
	for i := range v {
		v[i] *= n
	}
}

// canonical is the form in which model names are compared: lower case,
// without the default registry and namespace, with a tag.
func canonical(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "registry.ollama.ai/")
	n = strings.TrimPrefix(n, "library/")
	if i := strings.LastIndexByte(n, ':'); i < 0 || strings.IndexByte(n[i:], '/') >= 0 {
		n += ":latest"
	}
	return n
}

// displayName is the name /api/tags lists: as configured, with a tag.
func displayName(name string) string {
	n := strings.TrimSpace(name)
	n = strings.TrimPrefix(n, "registry.ollama.ai/")
	n = strings.TrimPrefix(n, "library/")
	if i := strings.LastIndexByte(n, ':'); i < 0 || strings.IndexByte(n[i:], '/') >= 0 {
		n += ":latest"
	}
	return n
}

// fitContext cuts text to its first limit words (limit 0: no limit) and
// returns what is kept, the tokens evaluated and whether it was cut. A
// token is a whitespace-separated word; a text without words still costs
// one token, as a real model always evaluates at least its BOS token.
func fitContext(text string, limit int) (kept string, tokens int, cut bool) {
	words, end := 0, len(text)
	inWord := false
	for i := 0; i < len(text); i++ {
		space := text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == '\v' || text[i] == '\f'
		switch {
		case !space && !inWord:
			if limit > 0 && words == limit {
				return text[:end], words, true
			}
			words++
			inWord = true
		case space && inWord:
			end = i
			inWord = false
		}
	}
	return text, max(words, 1), false
}

// Cosine is the cosine similarity of a and b, for tests that compare
// vectors: what a server answered with what was stored or exported.
func Cosine[T float32 | float64](a, b []T) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
