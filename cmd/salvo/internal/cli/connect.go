package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
// cache key spec, what the servers say of the model (the smallest context
// length, the vector size), and the endpoint in use. Servers that hold
// different versions of the model (digests) are refused: their vectors
// must not mix under one cache key.
func connect(ctx context.Context, s serverPlan, stdio Stdio) ([]engine.Host, salvo.KeySpec, serverInfo, string, error) {
	s.model = salvo.CanonicalModel(s.model) // "name:latest" is "name"
	key := salvo.KeySpec{Model: s.model, Dimensions: s.dimensions, Truncate: s.truncate}
	api, err := apiOf(s)
	if err != nil {
		return nil, key, serverInfo{}, "", err
	}
	var truncate *bool
	if !s.truncate {
		truncate = &s.truncate
	}
	apiKey, err := s.apiKey()
	if err != nil {
		return nil, key, serverInfo{}, "", err
	}
	var hosts []engine.Host
	var model serverInfo // as the first server that answered describes it
	endpoint, digestFrom := "", ""
	var unreachable []error
	threads := newHostThreads(s.numThread, s.api)
	for _, h := range s.hosts {
		oc, err := ollama.New(h, ollama.Options{Model: s.model, API: api, Dimensions: s.dimensions, Truncate: truncate, KeepAlive: s.keepAlive, UserAgent: "salvo/" + Version, ModelOptions: threads.options(h)})
		if err != nil {
			return nil, key, serverInfo{}, "", usageError("--host %q: %v", h, err)
		}
		info, err := preflight(ctx, oc, s, stdio)
		var ue *unreachableError
		if errors.As(err, &ue) && len(s.hosts) > 1 {
			// One server down out of several: go on with the others.
			unreachable = append(unreachable, err)
			if !s.quiet {
				fmt.Fprintf(stdio.Err, "salvo: warning: %v; going on without it\n", firstLine(err))
			}
			continue
		}
		if err != nil {
			return nil, key, serverInfo{}, "", err
		}
		if err := agree(&model, info, &digestFrom, oc.Host(), s.model); err != nil {
			return nil, key, serverInfo{}, "", err
		}
		var emb salvo.Embedder = oc
		ep := "/api/" + string(api)
		if s.api == "openai" || s.api == "auto" && threads.of(h) == 0 && preferOpenAI(info.version, s) {
			c, err := openai.New(h, openai.Options{Model: s.model, Dimensions: s.dimensions, APIKey: apiKey, UserAgent: "salvo/" + Version})
			if err != nil {
				return nil, key, serverInfo{}, "", usageError("--host %q: %v", h, err)
			}
			emb, ep = c, "/v1/embeddings"
		} else if api == ollama.APIAuto {
			ep = "/api/embed"
		}
		if endpoint == "" {
			endpoint = ep
		}
		hosts = append(hosts, engine.Host{Name: oc.Host(), Embedder: emb, Concurrency: s.concurrency})
	}
	threads.say(stdio, s.quiet)
	if len(hosts) == 0 {
		return nil, key, serverInfo{}, "", fmt.Errorf("none of the %d servers answers: %w", len(s.hosts), errors.Join(unreachable...))
	}
	key.Digest = model.digest
	return hosts, key, model, endpoint, nil
}

// agree merges what one more server says of the model into m: the digest
// must match the others' (from names the server m.digest came from), the
// context is the smallest, the vector size the first known.
func agree(m *serverInfo, info serverInfo, from *string, host, model string) error {
	if info.digest != "" {
		if m.digest != "" && m.digest != info.digest {
			return fmt.Errorf("%s and %s serve different versions of %s (digests %.12s and %.12s): their vectors would not match. Run `ollama pull %s` on both, or drop one --host",
				*from, host, model, m.digest, info.digest, model)
		}
		if m.digest == "" {
			m.digest, *from = info.digest, host
		}
	}
	if info.ctxTokens > 0 && (m.ctxTokens == 0 || info.ctxTokens < m.ctxTokens) {
		m.ctxTokens = info.ctxTokens
	}
	if m.dims == 0 {
		m.dims = info.dims
	}
	return nil
}

// apiOf checks --api against the other flags and returns the Ollama API it
// names ("" for openai).
func apiOf(s serverPlan) (ollama.API, error) {
	switch s.api {
	case "auto", "embed", "embeddings":
		return ollama.API(s.api), nil
	case "openai":
		if s.numThread > 0 {
			return "", usageError("--num-thread needs --api auto or embed: /v1/embeddings takes no model options")
		}
		if !s.truncate {
			return "", usageError("--truncate=false needs --api embed: /v1/embeddings always cuts texts to the model's context")
		}
		return "", nil
	}
	return "", usageError("--api %q: choose auto, embed, embeddings or openai", s.api)
}

// apiKeyVar is the environment variable of a key meant for salvo's servers.
const apiKeyVar = "SALVO_API_KEY"

// apiKey returns the bearer token to send on /v1/embeddings: only a key the
// user meant for these servers. That is the variable --api-key-env names,
// else $SALVO_API_KEY, else, with --api openai only, $OPENAI_API_KEY. With
// --api auto a developer's OpenAI key never goes to an Ollama (over plain
// http, to any --host). The key itself is never printed.
func (s serverPlan) apiKey() (string, error) {
	if s.apiKeyEnv != "" {
		k := Getenv(s.apiKeyEnv)
		if k == "" {
			return "", usageError("--api-key-env %s: $%s is empty or not set: export it, or drop --api-key-env", s.apiKeyEnv, s.apiKeyEnv)
		}
		return k, nil
	}
	if k := Getenv(apiKeyVar); k != "" {
		return k, nil
	}
	if s.api == "openai" {
		return Getenv("OPENAI_API_KEY"), nil
	}
	return "", nil
}

// unreachableError is a server that does not answer at all.
type unreachableError struct {
	host string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach Ollama at %s: %s\n%s", e.host, unreachableCause(e.err), startHint())
}

func (e *unreachableError) Unwrap() error { return e.err }

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// base64Since is the first Ollama that answers /v1/embeddings with
// "encoding_format":"base64": vectors as little-endian float32, which costs
// the client no float parsing.
var base64Since = [3]int{0, 12, 7}

// preferOpenAI says whether --api auto should use /v1/embeddings: the server
// is recent enough for base64 vectors, and nothing asked for what only
// /api/embed offers (keep_alive, truncate=false).
func preferOpenAI(version string, s serverPlan) bool {
	if s.keepAlive != "" || !s.truncate {
		return false
	}
	v, ok := parseVersion(version)
	if !ok {
		return false
	}
	for i := range v {
		if v[i] != base64Since[i] {
			return v[i] > base64Since[i]
		}
	}
	return true
}

// parseVersion reads "0.17.4" (or "v0.17.4-rc1") as three numbers.
func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// serverInfo is what preflight learnt about a server.
type serverInfo struct {
	version   string
	digest    string
	ctxTokens int
	dims      int // the model's vector size (embedding_length), 0 if unknown
}

// preflight checks that the server answers and has the model; it returns the
// server's version and the model's digest and context length where the
// server reports them. A server that is not Ollama (an OpenAI-compatible
// one) passes with --api openai.
func preflight(ctx context.Context, c *ollama.Client, s serverPlan, stdio Stdio) (serverInfo, error) {
	var info serverInfo
	pctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	version, err := c.Version(pctx)
	if err != nil {
		if ctx.Err() != nil {
			return info, ctx.Err()
		}
		var se *salvo.StatusError
		if s.api == "openai" && errors.As(err, &se) {
			return info, nil // not an Ollama: the first request will tell
		}
		return info, &unreachableError{host: c.Host(), err: err}
	}
	info.version = version
	models, err := c.Models(pctx)
	if err != nil {
		return info, fmt.Errorf("listing the models of %s: %w", c.Host(), err)
	}
	m, found := ollama.FindModel(models, s.model)
	if !found {
		near := closeModel(s.model, models)
		if !s.pull {
			return info, &salvo.ModelNotFoundError{Model: s.model, Endpoint: c.Host(), Message: "not in /api/tags", Suggestion: near}
		}
		if err := pull(ctx, c, s.model, stdio, s.quiet); err != nil {
			if near != "" {
				err = fmt.Errorf("%w; did you mean %s? That server has it: pass --model %s", err, near, near)
			}
			return info, err
		}
		return preflight(ctx, c, serverPlan{model: s.model, api: s.api}, stdio)
	}
	info.digest = m.Digest
	if show, err := c.Show(pctx, s.model); err == nil {
		// The server cuts inputs at the model's context, or at num_ctx
		// when the model sets a smaller one.
		info.ctxTokens = show.ContextLength()
		info.dims = show.EmbeddingLength()
		if nc := show.NumCtx(); nc > 0 && (info.ctxTokens == 0 || nc < info.ctxTokens) {
			info.ctxTokens = nc
		}
	}
	return info, nil
}
