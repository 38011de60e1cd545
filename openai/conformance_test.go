package openai

import (
	"os"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/embeddertest"
	"github.com/salvoembed/salvo/ollamatest"
)

// TestConformance runs the suite against ollamatest's /v1/embeddings, which
// answers as Ollama's OpenAI layer does, asking for base64 and for JSON
// numbers, with and without shortened vectors.
func TestConformance(t *testing.T) {
	no := false
	for _, tc := range []struct {
		name string
		opts Options
		dims int
	}{
		{"base64", Options{}, 48},
		{"floats", Options{Base64: &no}, 48},
		{"dimensions", Options{Dimensions: 16}, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ollamatest.New(ollamatest.Config{Dims: 48})
			t.Cleanup(s.Close)
			embeddertest.Run(t, embeddertest.Target{
				Model:     ollamatest.DefaultModel,
				Server:    s,
				Dims:      tc.dims,
				ErrorBody: embeddertest.OpenAIError,
				New: func(t *testing.T, model string) salvo.Embedder {
					opts := tc.opts
					opts.Model = model
					c, err := New(s.URL(), opts)
					if err != nil {
						t.Fatal(err)
					}
					return c
				},
			})
		})
	}
}

// TestConformanceReal runs the suite against the /v1/embeddings of the
// Ollama server named by OLLAMA_HOST and SALVO_TEST_MODEL (see
// scripts/real-ollama.sh).
func TestConformanceReal(t *testing.T) {
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" {
		t.Skip("set OLLAMA_HOST and SALVO_TEST_MODEL to test against a real Ollama (eval \"$(scripts/real-ollama.sh up)\")")
	}
	embeddertest.Run(t, embeddertest.Target{
		Model: model,
		New: func(t *testing.T, m string) salvo.Embedder {
			c, err := New(host, Options{Model: m})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	})
}
