package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/openai"
)

// preflightTimeout bounds the checks made before a run, so an unreachable
// server or a missing model is reported within seconds.
const preflightTimeout = 5 * time.Second

// connect makes a client per host, checks that each server answers and has
// the model (pulling it with --pull), and returns the engine's hosts, the
// cache key spec and the model's context length when known.
func connect(ctx context.Context, f *embedFlags, stdio Stdio) ([]engine.Host, salvo.KeySpec, int, error) {
	key := salvo.KeySpec{Model: f.model, Dimensions: f.dimensions, Truncate: f.truncate}
	var api ollama.API
	switch f.api {
	case "auto", "embed", "embeddings":
		api = ollama.API(f.api)
	case "openai":
		if !f.truncate {
			return nil, key, 0, usageError("--truncate=false needs --api embed: /v1/embeddings always cuts texts to the model's context")
		}
	default:
		return nil, key, 0, usageError("--api %q: choose auto, embed, embeddings or openai", f.api)
	}
	var truncate *bool
	if !f.truncate {
		truncate = &f.truncate
	}
	var hosts []engine.Host
	ctxTokens := 0
	for i, h := range f.hosts {
		oc, err := ollama.New(h, ollama.Options{Model: f.model, API: api, Dimensions: f.dimensions, Truncate: truncate, KeepAlive: f.keepAlive, UserAgent: "salvo/" + Version})
		if err != nil {
			return nil, key, 0, usageError("--host %q: %v", h, err)
		}
		digest, n, err := preflight(ctx, oc, f, stdio)
		if err != nil {
			return nil, key, 0, err
		}
		if i == 0 {
			key.Digest, ctxTokens = digest, n
		}
		var emb salvo.Embedder = oc
		if f.api == "openai" {
			c, err := openai.New(h, openai.Options{Model: f.model, Dimensions: f.dimensions, APIKey: Getenv("OPENAI_API_KEY"), UserAgent: "salvo/" + Version})
			if err != nil {
				return nil, key, 0, usageError("--host %q: %v", h, err)
			}
			emb = c
		}
		hosts = append(hosts, engine.Host{Name: oc.Host(), Embedder: emb, Concurrency: int(f.concurrency)})
	}
	return hosts, key, ctxTokens, nil
}

// preflight checks that the server answers and has the model; it returns the
// model's digest and context length where the server reports them. A server
// that is not Ollama (an OpenAI-compatible one) passes with --api openai.
func preflight(ctx context.Context, c *ollama.Client, f *embedFlags, stdio Stdio) (string, int, error) {
	pctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	if _, err := c.Version(pctx); err != nil {
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		var se *salvo.StatusError
		if f.api == "openai" && errors.As(err, &se) {
			return "", 0, nil // not an Ollama: the first request will tell
		}
		return "", 0, fmt.Errorf("cannot reach Ollama at %s: %v\nStart it with `ollama serve`, or point --host (or OLLAMA_HOST) at a running server", c.Host(), err)
	}
	models, err := c.Models(pctx)
	if err != nil {
		return "", 0, fmt.Errorf("listing the models of %s: %w", c.Host(), err)
	}
	m, found := ollama.FindModel(models, f.model)
	digest := m.Digest
	if !found {
		if !f.pull {
			return "", 0, &salvo.ModelNotFoundError{Model: f.model, Endpoint: c.Host(), Message: "not in /api/tags"}
		}
		if err := pull(ctx, c, f.model, stdio, f.quiet); err != nil {
			return "", 0, err
		}
		return preflight(ctx, c, &embedFlags{model: f.model, api: f.api}, stdio)
	}
	n := 0
	if show, err := c.Show(pctx, f.model); err == nil {
		// The server cuts inputs at the model's context, or at num_ctx
		// when the model sets a smaller one.
		n = show.ContextLength()
		if nc := show.NumCtx(); nc > 0 && (n == 0 || nc < n) {
			n = nc
		}
	}
	return digest, n, nil
}
