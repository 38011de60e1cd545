package openai

import (
	"context"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// TestRealServer embeds through Ollama's /v1/embeddings when OLLAMA_HOST and
// SALVO_TEST_MODEL name a real server (see scripts/real-ollama.sh).
func TestRealServer(t *testing.T) {
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" {
		t.Skip("set OLLAMA_HOST and SALVO_TEST_MODEL to test against a real Ollama (eval \"$(scripts/real-ollama.sh up)\")")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	texts := []string{"The Matrix (1999)", "Heat (1995)", "Amélie (2001)"}

	no := false
	var got [2]*salvo.Embedding
	for i, opts := range []Options{{Model: model}, {Model: model, Base64: &no}} {
		c, err := New(host, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got[i], err = c.Embed(ctx, texts); err != nil {
			t.Fatal(err)
		}
		if len(got[i].Vectors) != len(texts) {
			t.Fatalf("%d vectors for %d texts", len(got[i].Vectors), len(texts))
		}
	}
	for i := range texts {
		a, b := got[0].Vectors[i], got[1].Vectors[i]
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("text %d: vector lengths %d and %d", i, len(a), len(b))
		}
		var norm float64
		for j := range a {
			if math.Abs(float64(a[j]-b[j])) > 1e-6 {
				t.Fatalf("text %d: base64 and float answers differ at %d: %g vs %g", i, j, a[j], b[j])
			}
			norm += float64(a[j]) * float64(a[j])
		}
		if math.Abs(norm-1) > 1e-3 {
			t.Errorf("text %d: squared norm %g, want 1", i, norm)
		}
	}

	c, err := New(host, Options{Model: "salvo-no-such-model"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Embed(ctx, texts)
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("missing model: got %v, want a ModelNotFoundError", err)
	}
}
