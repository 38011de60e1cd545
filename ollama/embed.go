package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/httpx"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
)

// Embed returns one vector per text, in order.
//
// With /api/embed (APIEmbed, and APIAuto on current servers) it makes one
// request for the whole batch. With the legacy /api/embeddings it makes one
// request per text, one after another: callers that want those requests in
// parallel should send batches of one when API() reports APIEmbeddings.
// An empty batch makes no request.
func (c *Client) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	if len(texts) == 0 {
		return &salvo.Embedding{Vectors: [][]float32{}}, nil
	}
	switch c.API() {
	case APIEmbed:
		return c.embedBatch(ctx, texts)
	case APIEmbeddings:
		return c.embedLegacy(ctx, texts)
	}

	emb, err := c.embedBatch(ctx, texts)
	if err == nil {
		c.mode.CompareAndSwap(APIAuto, APIEmbed)
		return emb, nil
	}
	if !routeMissing(err) {
		return nil, err
	}
	// A server older than 0.2.6: /api/embed is an unknown route.
	if c.dims > 0 {
		return nil, fmt.Errorf("%w; the server seems older than Ollama 0.2.6 and its /api/embeddings cannot shorten vectors to %d dimensions: upgrade Ollama or drop dimensions", err, c.dims)
	}
	emb, legacyErr := c.embedLegacy(ctx, texts)
	if routeMissing(legacyErr) {
		return nil, fmt.Errorf("%w; %s also answers 404 to /api/embeddings: is it an Ollama server, and is the base path right?", err, c.Host())
	}
	if legacyErr == nil || !errors.Is(legacyErr, context.Canceled) {
		c.mode.CompareAndSwap(APIAuto, APIEmbeddings)
	}
	return emb, legacyErr
}

// routeMissing reports a 404 that is not about the model: the endpoint
// does not exist on that server.
func routeMissing(err error) bool {
	var se *salvo.StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusNotFound
}

func (c *Client) embedBatch(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	body := make([]byte, 0, len(c.embedHead)+jsonstr.StringsLen(texts)+len(c.embedTail))
	body = append(body, c.embedHead...)
	for i, t := range texts {
		if i > 0 {
			body = append(body, ',')
		}
		body = jsonstr.AppendString(body, t)
	}
	body = append(body, c.embedTail...)

	r, err := c.call(ctx, http.MethodPost, c.embedURL, body, c.model, c.answerLimit(len(texts)))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	res, err := decodeEmbed(r.Body, len(texts))
	switch {
	case err != nil:
		return nil, httpx.InvalidResponse(c.embedURL, r, "not an /api/embed answer: "+err.Error())
	case res.Embeddings == nil:
		return nil, httpx.InvalidResponse(c.embedURL, r, `no "embeddings" in the answer`)
	case len(res.Embeddings) != len(texts):
		return nil, httpx.InvalidResponse(c.embedURL, r,
			fmt.Sprintf("%d vectors for %d texts", len(res.Embeddings), len(texts)))
	}
	c.saw(res.Embeddings)
	return &salvo.Embedding{
		Vectors:       res.Embeddings,
		PromptTokens:  res.PromptEvalCount,
		LoadDuration:  time.Duration(res.LoadDuration),
		TotalDuration: time.Duration(res.TotalDuration),
	}, nil
}

// embedLegacy embeds texts one by one with /api/embeddings.
func (c *Client) embedLegacy(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	out := &salvo.Embedding{Vectors: make([][]float32, len(texts))}
	start := time.Now()
	for i, t := range texts {
		v, err := c.embedOne(ctx, t)
		if err != nil {
			return nil, err
		}
		if i > 0 && len(v) != len(out.Vectors[0]) {
			// One request per text: the answers must agree, as the
			// vectors of one /api/embed answer do.
			return nil, fmt.Errorf("%w from %s: a vector of %d values for text %d, of %d for text 0 of the same batch",
				salvo.ErrInvalidResponse, c.embeddingsURL, len(v), i, len(out.Vectors[0]))
		}
		out.Vectors[i] = v
	}
	out.TotalDuration = time.Since(start)
	return out, nil
}

func (c *Client) embedOne(ctx context.Context, text string) ([]float32, error) {
	body := make([]byte, 0, len(c.legacyHead)+len(text)+len(text)/16+2+len(c.legacyTail))
	body = append(body, c.legacyHead...)
	body = jsonstr.AppendString(body, text)
	body = append(body, c.legacyTail...)

	r, err := c.call(ctx, http.MethodPost, c.embeddingsURL, body, c.model, c.answerLimit(1))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	var res struct {
		Embedding []float64 `json:"embedding"`
	}
	if err := json.Unmarshal(r.Body, &res); err != nil {
		return nil, httpx.InvalidResponse(c.embeddingsURL, r, "not an /api/embeddings answer: "+err.Error())
	}
	if len(res.Embedding) == 0 {
		// Ollama answers {"embedding":[]} for an empty prompt, and also when
		// the request was not understood.
		return nil, httpx.InvalidResponse(c.embeddingsURL, r, fmt.Sprintf("no vector for a text of %d bytes", len(text)))
	}
	v := make([]float32, len(res.Embedding))
	for i, f := range res.Embedding {
		v[i] = float32(f)
	}
	c.saw([][]float32{v})
	return v, nil
}
