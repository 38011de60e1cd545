package ollama

import (
	"os"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/embeddertest"
	"github.com/salvoembed/salvo/ollamatest"
)

// tooLong is longer than any test model's context (ollamatest counts a
// word as a token; the real fixture model has 512 tokens).
var tooLong = strings.Repeat("salvo embeds long texts ", 1000)

func TestConformance(t *testing.T) {
	no := false
	for _, api := range []API{APIAuto, APIEmbed, APIEmbeddings} {
		t.Run(string(api), func(t *testing.T) {
			s := ollamatest.New(ollamatest.Config{Dims: 48, ContextTokens: 256})
			t.Cleanup(s.Close)
			embeddertest.Run(t, embeddertest.Target{
				Model:   ollamatest.DefaultModel,
				Server:  s,
				Dims:    48,
				TooLong: tooLong,
				New: func(t *testing.T, model string) salvo.Embedder {
					c, err := New(s.URL(), Options{Model: model, API: api, Truncate: &no})
					if err != nil {
						t.Fatal(err)
					}
					return c
				},
			})
		})
	}
	t.Run("dimensions", func(t *testing.T) {
		s := ollamatest.New(ollamatest.Config{Dims: 48})
		t.Cleanup(s.Close)
		embeddertest.Run(t, embeddertest.Target{
			Model:  ollamatest.DefaultModel,
			Server: s,
			Dims:   16,
			New: func(t *testing.T, model string) salvo.Embedder {
				c, err := New(s.URL(), Options{Model: model, Dimensions: 16})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		})
	})
}

// TestConformanceReal runs the suite against the Ollama server named by
// OLLAMA_HOST and SALVO_TEST_MODEL (see scripts/real-ollama.sh).
func TestConformanceReal(t *testing.T) {
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" {
		t.Skip("set OLLAMA_HOST and SALVO_TEST_MODEL to test against a real Ollama (eval \"$(scripts/real-ollama.sh up)\")")
	}
	no := false
	for _, api := range []API{APIEmbed, APIEmbeddings} {
		t.Run(string(api), func(t *testing.T) {
			embeddertest.Run(t, embeddertest.Target{
				Model:   model,
				TooLong: tooLong,
				New: func(t *testing.T, m string) salvo.Embedder {
					c, err := New(host, Options{Model: m, API: api, Truncate: &no})
					if err != nil {
						t.Fatal(err)
					}
					return c
				},
			})
		})
	}
}
