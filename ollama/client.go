// Package ollama is salvo's client for Ollama's native HTTP API: it embeds
// batches of texts with /api/embed (or the legacy one-text /api/embeddings
// of servers older than 0.2.6), and asks the server about its version and
// models, and to pull a model.
//
// Start with [New] and use the [Client] as a salvo.Embedder:
//
//	c, err := ollama.New("127.0.0.1:11434", ollama.Options{Model: "nomic-embed-text"})
//	...
//	emb, err := c.Embed(ctx, []string{"first text", "second text"})
//
// The client makes one request per call and never retries: error answers
// come back as *salvo.StatusError or *salvo.ModelNotFoundError, unusable
// answers wrap salvo.ErrInvalidResponse, and the caller's retry layer
// decides with salvo.Retryable. Vectors are returned as the server sent
// them; checking them (NaN, norms, dimensions) is the caller's job.
package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/hostaddr"
	"github.com/salvoembed/salvo/internal/base/httpx"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
)

// API names the endpoint used to embed.
type API string

const (
	// APIAuto uses /api/embed, and switches to /api/embeddings for good if
	// the server lacks /api/embed (a 404 that is not about the model).
	APIAuto API = "auto"
	// APIEmbed is /api/embed: many texts per request, normalised vectors.
	APIEmbed API = "embed"
	// APIEmbeddings is the legacy /api/embeddings: one text per request,
	// vectors not normalised for some models, no dimensions or truncate.
	APIEmbeddings API = "embeddings"
)

// ParseAPI reads an API name as given on a command line; "" means auto.
func ParseAPI(s string) (API, error) {
	switch a := API(strings.ToLower(strings.TrimSpace(s))); a {
	case "", APIAuto:
		return APIAuto, nil
	case APIEmbed, APIEmbeddings:
		return a, nil
	}
	return "", fmt.Errorf("unknown Ollama API %q: use auto, embed or embeddings", s)
}

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "salvo"

// MaxAnswer bounds an answer about models (tags, show). An embedding
// answer is bounded by what its vectors can take (httpx.AnswerLimit): past
// that it is an invalid answer.
const MaxAnswer = 512 << 20

// Options configures a Client. Only Model is required.
type Options struct {
	// Model is the embedding model, as Ollama names it ("nomic-embed-text",
	// "all-minilm:l6-v2").
	Model string
	// API is the endpoint to use; "" means APIAuto.
	API API
	// Dimensions asks for shorter vectors (models trained for it); 0 keeps
	// the model's own size.
	Dimensions int
	// Truncate says whether the server may cut inputs that are too long for
	// the model; nil leaves it to the server (which cuts).
	Truncate *bool
	// KeepAlive is how long the server keeps the model loaded after a
	// request: a duration such as "5m", or seconds such as "300"; "-1" keeps
	// it loaded. "" leaves it to the server.
	KeepAlive string
	// ModelOptions are passed as Ollama's "options" (num_ctx, num_thread...).
	ModelOptions map[string]any
	// HTTPClient sends the requests; nil means a shared client made for
	// many requests in flight, with no overall timeout: bound each call
	// with its context.
	HTTPClient *http.Client
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
}

// Client talks to one Ollama server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	model string
	dims  int
	seen  atomic.Int64 // the vector size of the first answer, bounding the next ones
	mode  atomic.Value // the API in use
	http  *http.Client
	ua    string

	embedURL, embeddingsURL string
	// Request bodies are built by hand around the texts from these parts.
	embedHead, embedTail   []byte
	legacyHead, legacyTail []byte
}

var _ salvo.Embedder = (*Client)(nil)

// ParseHost reads an Ollama address as OLLAMA_HOST is read: "host",
// "host:port", ":port", "http://host:port", "https://host/base/path".
// A host without scheme and port gets port 11434; "http://host" gets 80 and
// "https://host" 443, as with the ollama command.
func ParseHost(s string) (*url.URL, error) { return hostaddr.ParseHost(s) }

// New returns a client for the Ollama server at host (see [ParseHost]).
func New(host string, opts Options) (*Client, error) {
	base, err := hostaddr.BaseURL(host)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Model) == "" {
		return nil, errors.New("ollama: no model given: name an embedding model, e.g. nomic-embed-text")
	}
	api, err := ParseAPI(string(opts.API))
	if err != nil {
		return nil, err
	}
	if opts.Dimensions < 0 {
		return nil, fmt.Errorf("ollama: dimensions %d: use a positive number, or 0 for the model's own", opts.Dimensions)
	}
	if api == APIEmbeddings && opts.Dimensions > 0 {
		return nil, fmt.Errorf("ollama: /api/embeddings cannot shorten vectors to %d dimensions: use the embed API or drop dimensions", opts.Dimensions)
	}
	c := &Client{
		base:          base,
		model:         opts.Model,
		dims:          opts.Dimensions,
		http:          opts.HTTPClient,
		ua:            opts.UserAgent,
		embedURL:      base.JoinPath("api/embed").String(),
		embeddingsURL: base.JoinPath("api/embeddings").String(),
	}
	c.mode.Store(api)
	if c.http == nil {
		c.http = httpx.SharedClient()
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if err := c.buildBodies(opts); err != nil {
		return nil, err
	}
	return c, nil
}

// buildBodies prepares the fixed parts of the request bodies.
func (c *Client) buildBodies(opts Options) error {
	var extra []byte // keep_alive and options, common to both endpoints
	if ka := strings.TrimSpace(opts.KeepAlive); ka != "" {
		// Ollama reads a JSON number as seconds and a string as a Go
		// duration; "-1" must go as a number, since "-1" is no duration.
		if _, err := strconv.ParseFloat(ka, 64); err == nil {
			extra = append(extra, `,"keep_alive":`...)
			extra = append(extra, ka...)
		} else if _, err := time.ParseDuration(ka); err == nil {
			extra = append(extra, `,"keep_alive":`...)
			extra = jsonstr.AppendString(extra, ka)
		} else {
			return fmt.Errorf("ollama: keep-alive %q: use a duration like 5m, a number of seconds, or -1 to keep the model loaded", opts.KeepAlive)
		}
	}
	if len(opts.ModelOptions) > 0 {
		o, err := json.Marshal(opts.ModelOptions)
		if err != nil {
			return fmt.Errorf("ollama: model options cannot be sent as JSON: %w", err)
		}
		extra = append(append(extra, `,"options":`...), o...)
	}

	c.embedHead = jsonstr.AppendString([]byte(`{"model":`), c.model)
	c.embedHead = append(c.embedHead, `,"input":[`...)
	tail := []byte{']'}
	if opts.Truncate != nil {
		tail = strconv.AppendBool(append(tail, `,"truncate":`...), *opts.Truncate)
	}
	if opts.Dimensions > 0 {
		tail = strconv.AppendInt(append(tail, `,"dimensions":`...), int64(opts.Dimensions), 10)
	}
	c.embedTail = append(append(tail, extra...), '}')

	c.legacyHead = jsonstr.AppendString([]byte(`{"model":`), c.model)
	c.legacyHead = append(c.legacyHead, `,"prompt":`...)
	c.legacyTail = append(bytes.Clone(extra), '}')
	return nil
}

// Host returns the server's base URL, for messages.
func (c *Client) Host() string { return c.base.String() }

// Model returns the model the client embeds with.
func (c *Client) Model() string { return c.model }

// API returns the endpoint in use: APIAuto until the first answer tells
// which one the server has, then APIEmbed or APIEmbeddings.
func (c *Client) API() API { return c.mode.Load().(API) }

// newRequest builds a request to url with a JSON body (nil for none).
func (c *Client) newRequest(ctx context.Context, method, url string, body []byte) (*http.Request, error) {
	return httpx.NewRequest(ctx, method, url, body, c.ua, "")
}

// call sends a request and reads the whole answer, up to limit bytes.
func (c *Client) call(ctx context.Context, method, url string, body []byte, model string, limit int64) (*httpx.Response, error) {
	req, err := c.newRequest(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	return httpx.Do(c.http, req, model, limit)
}

// answerLimit bounds the answer for n texts: the vector size asked for,
// else the one seen, else a size larger than any model's.
func (c *Client) answerLimit(n int) int64 {
	dims := c.dims
	if dims == 0 {
		dims = int(c.seen.Load())
	}
	return httpx.AnswerLimit(n, dims, httpx.JSONValueBytes)
}

// saw remembers the vector size of an answer.
func (c *Client) saw(vecs [][]float32) {
	if len(vecs) > 0 && len(vecs[0]) > 0 {
		c.seen.CompareAndSwap(0, int64(len(vecs[0])))
	}
}

// callJSON sends a request and decodes the answer into v.
func (c *Client) callJSON(ctx context.Context, method, url string, body []byte, model string, v any) error {
	r, err := c.call(ctx, method, url, body, model, MaxAnswer)
	if err != nil {
		return err
	}
	defer r.Release()
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return httpx.InvalidResponse(url, r, err.Error())
	}
	return nil
}
