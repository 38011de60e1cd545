// Package openai is salvo's client for OpenAI-compatible embedding
// servers: POST /v1/embeddings as served by OpenAI, Ollama, Hugging Face
// TEI, vLLM, llama.cpp's server and LiteLLM.
//
// Start with [New] and use the [Client] as a salvo.Embedder:
//
//	c, err := openai.New("http://127.0.0.1:11434", openai.Options{Model: "nomic-embed-text"})
//	...
//	emb, err := c.Embed(ctx, texts)
//
// Vectors are asked for as base64 (a third of the bytes of JSON numbers and
// much cheaper to decode); answers with JSON numbers are read too, and a
// server that refuses base64 is asked again, from then on, for numbers.
// The client never retries otherwise: error answers come back as
// *salvo.StatusError or *salvo.ModelNotFoundError, and unusable answers
// wrap salvo.ErrInvalidResponse.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/hostaddr"
	"github.com/salvoembed/salvo/internal/base/httpx"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
)

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "salvo"

// Options configures a Client. Only Model is required.
type Options struct {
	// Model is the embedding model as the server names it.
	Model string
	// Dimensions asks for shorter vectors (models trained for it); 0 keeps
	// the model's own size.
	Dimensions int
	// APIKey, if set, is sent as a bearer token.
	APIKey string
	// Base64 says whether to ask for base64 vectors; nil means yes.
	Base64 *bool
	// HTTPClient sends the requests; nil means a shared client made for
	// many requests in flight, with no overall timeout: bound each call
	// with its context.
	HTTPClient *http.Client
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
}

// Client talks to one OpenAI-compatible server. It is safe for concurrent
// use.
type Client struct {
	base     *url.URL
	endpoint string
	model    string
	apiKey   string
	ua       string
	http     *http.Client
	// floats is set once the server refused base64, or if asked.
	floats atomic.Bool
	// dims is the vector size asked for, else of the first answer; b64 is
	// set once the server answered base64. They bound the next answers.
	dims atomic.Int64
	b64  atomic.Bool
	// Request bodies are built by hand around the texts from these parts.
	head, tailBase64, tailFloat []byte
}

var _ salvo.Embedder = (*Client)(nil)

// New returns a client for the server at baseURL, read as
// ollama.ParseHost reads a host ("host:port", "https://api.openai.com");
// the endpoint is <base>/v1/embeddings, and a base that already ends in
// /v1 or /v1/embeddings is used as it is.
func New(baseURL string, opts Options) (*Client, error) {
	base, err := hostaddr.BaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Model) == "" {
		return nil, errors.New("openai: no model given: name the embedding model the server serves")
	}
	if opts.Dimensions < 0 {
		return nil, fmt.Errorf("openai: dimensions %d: use a positive number, or 0 for the model's own", opts.Dimensions)
	}
	var endpoint *url.URL
	switch {
	case strings.HasSuffix(base.Path, "/embeddings"):
		endpoint = base
	case strings.HasSuffix(base.Path, "/v1"):
		endpoint = base.JoinPath("embeddings")
	default:
		endpoint = base.JoinPath("v1", "embeddings")
	}
	c := &Client{
		base:     base,
		endpoint: endpoint.String(),
		model:    opts.Model,
		apiKey:   opts.APIKey,
		ua:       opts.UserAgent,
		http:     opts.HTTPClient,
	}
	if c.http == nil {
		c.http = httpx.SharedClient()
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if opts.Base64 != nil && !*opts.Base64 {
		c.floats.Store(true)
	}
	c.head = jsonstr.AppendString([]byte(`{"model":`), c.model)
	c.head = append(c.head, `,"input":[`...)
	tail := []byte{']'}
	if opts.Dimensions > 0 {
		tail = strconv.AppendInt(append(tail, `,"dimensions":`...), int64(opts.Dimensions), 10)
	}
	c.tailBase64 = append(append([]byte(nil), tail...), `,"encoding_format":"base64"}`...)
	c.tailFloat = append(append([]byte(nil), tail...), `,"encoding_format":"float"}`...)
	c.dims.Store(int64(opts.Dimensions))
	return c, nil
}

// Host returns the server's base URL, for messages.
func (c *Client) Host() string { return c.base.String() }

// Endpoint returns the URL embeddings are asked from.
func (c *Client) Endpoint() string { return c.endpoint }

// Model returns the model the client embeds with.
func (c *Client) Model() string { return c.model }

// Embed returns one vector per text, in order, with one request (two if
// the server refuses base64 the first time). An empty batch makes no
// request.
func (c *Client) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	if len(texts) == 0 {
		return &salvo.Embedding{Vectors: [][]float32{}}, nil
	}
	if c.floats.Load() {
		return c.embed(ctx, texts, c.tailFloat)
	}
	emb, err := c.embed(ctx, texts, c.tailBase64)
	if err != nil && refusesBase64(err) {
		c.floats.Store(true)
		return c.embed(ctx, texts, c.tailFloat)
	}
	return emb, err
}

// answerLimit bounds the answer for n texts. Until the server has
// answered base64, values are counted as JSON numbers: some servers ignore
// encoding_format.
func (c *Client) answerLimit(n int) int64 {
	per := httpx.JSONValueBytes
	if c.b64.Load() && !c.floats.Load() {
		per = httpx.Base64ValueBytes
	}
	return httpx.AnswerLimit(n, int(c.dims.Load()), per)
}

// refusesBase64 reports an answer that rejects encoding_format.
func refusesBase64(err error) bool {
	var se *salvo.StatusError
	if !errors.As(err, &se) || (se.StatusCode != http.StatusBadRequest && se.StatusCode != http.StatusUnprocessableEntity) {
		return false
	}
	m := strings.ToLower(se.Message)
	return strings.Contains(m, "encoding_format") || strings.Contains(m, "base64")
}

func (c *Client) embed(ctx context.Context, texts []string, tail []byte) (*salvo.Embedding, error) {
	body := make([]byte, 0, len(c.head)+jsonstr.StringsLen(texts)+len(tail))
	body = append(body, c.head...)
	for i, t := range texts {
		if i > 0 {
			body = append(body, ',')
		}
		body = jsonstr.AppendString(body, t)
	}
	body = append(body, tail...)

	req, err := httpx.NewRequest(ctx, http.MethodPost, c.endpoint, body, c.ua, c.apiKey)
	if err != nil {
		return nil, err
	}
	r, err := httpx.Do(c.http, req, c.model, c.answerLimit(len(texts)))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	list, err := decodeList(r.Body, len(texts))
	if err != nil {
		return nil, httpx.InvalidResponse(c.endpoint, r, "not an embeddings list: "+err.Error())
	}
	vecs, err := list.vectors(len(texts))
	if err != nil {
		return nil, httpx.InvalidResponse(c.endpoint, r, err.Error())
	}
	if len(vecs) > 0 && len(vecs[0]) > 0 {
		c.dims.CompareAndSwap(0, int64(len(vecs[0])))
	}
	if len(list.Data) > 0 && list.Data[0].Kind == 's' {
		c.b64.Store(true)
	}
	return &salvo.Embedding{Vectors: vecs, PromptTokens: list.PromptTokens}, nil
}
