package ollama

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollamatest"
)

// realServer returns a client for the Ollama server named by OLLAMA_HOST and
// SALVO_TEST_MODEL (see scripts/real-ollama.sh), or skips the test.
func realServer(t *testing.T, api API) *Client {
	t.Helper()
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SALVO_TEST_MODEL")
	if host == "" || model == "" {
		t.Skip("set OLLAMA_HOST and SALVO_TEST_MODEL to test against a real Ollama (eval \"$(scripts/real-ollama.sh up)\")")
	}
	c, err := New(host, Options{Model: model, API: api})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRealServer(t *testing.T) {
	c := realServer(t, APIAuto)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if v, err := c.Version(ctx); err != nil || v == "" {
		t.Fatalf("Version = %q, %v", v, err)
	}
	m, err := c.LookupModel(ctx, c.Model())
	if err != nil || len(m.Digest) != 64 {
		t.Fatalf("LookupModel = %+v, %v", m, err)
	}
	show, err := c.Show(ctx, c.Model())
	if err != nil || show.ContextLength() <= 0 || show.EmbeddingLength() <= 0 {
		t.Fatalf("Show: context %d, embedding %d, %v", show.ContextLength(), show.EmbeddingLength(), err)
	}

	texts := []string{"The Matrix (1999): a hacker learns the truth about reality.", "Heat (1995): a heist thriller."}
	batch, err := c.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	if c.API() != APIEmbed || len(batch.Vectors) != 2 || len(batch.Vectors[0]) != show.EmbeddingLength() || batch.PromptTokens <= 0 {
		t.Fatalf("API %s, %d vectors of %d, %d tokens", c.API(), len(batch.Vectors), len(batch.Vectors[0]), batch.PromptTokens)
	}

	legacy, err := realServer(t, APIEmbeddings).Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if cos := ollamatest.Cosine(batch.Vectors[i], legacy.Vectors[i]); cos < 0.999 {
			t.Errorf("text %d: /api/embed and /api/embeddings vectors differ, cosine %.4f", i, cos)
		}
	}

	bad, err := New(os.Getenv("OLLAMA_HOST"), Options{Model: "salvo-no-such-model"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Embed(ctx, texts)
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("missing model: got %v, want a ModelNotFoundError", err)
	}
}
