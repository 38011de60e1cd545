// Package httpx sends the HTTP requests of salvo's embedding clients
// (packages ollama and openai) and reads their answers: a client tuned for
// many requests in flight, answers read whole into pooled buffers, and error
// answers (JSON or not) turned into salvo.StatusError or
// salvo.ModelNotFoundError with a readable message.
//
// Start with [Do]: it sends a request and returns the whole answer, or the
// error a caller of salvo.Embedder expects.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
)

const (
	// MaxIdleConnsPerHost lets every request in flight to one server keep
	// its connection between batches instead of dialing again.
	MaxIdleConnsPerHost = 256
	// MaxErrorBody bounds how much of an error answer is read.
	MaxErrorBody = 64 << 10
	// poolMax is the largest buffer kept for reuse; bigger ones are left to
	// the garbage collector so one huge answer does not pin memory.
	poolMax = 32 << 20
)

// NewClient returns an HTTP client for embedding servers: connections are
// kept for up to MaxIdleConnsPerHost requests in flight per server, and
// there is no overall timeout because a busy server may queue a request for
// minutes; callers bound each request with its context.
func NewClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4 * MaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t}
}

var sharedClient = sync.OnceValue(NewClient)

// SharedClient returns one process-wide client made by [NewClient], so
// clients for several servers share a connection pool.
func SharedClient() *http.Client { return sharedClient() }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Every garbage collection empties bufPool, and a run collects garbage
// every few answers: the next answer then gets fresh memory, which Go
// zeroes and the kernel maps a page at a time. So up to freeMax buffers of
// up to freeBufMax bytes are kept in free, which collections leave alone,
// and only the others go to bufPool.
const (
	freeMax    = 8
	freeBufMax = 8 << 20
)

var free = make(chan *bytes.Buffer, freeMax)

// getBuf returns an empty buffer for an answer.
func getBuf() *bytes.Buffer {
	select {
	case b := <-free:
		return b
	default:
		return bufPool.Get().(*bytes.Buffer)
	}
}

// putBuf keeps b for a later answer, unless it is larger than poolMax.
func putBuf(b *bytes.Buffer) {
	if b.Cap() > poolMax {
		return
	}
	b.Reset()
	if b.Cap() <= freeBufMax {
		select {
		case free <- b:
			return
		default:
		}
	}
	bufPool.Put(b)
}

// Response is an answer read in full. Body is valid until Release.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	buf        *bytes.Buffer
}

// Release returns the body's buffer for reuse. The Response must not be used
// afterwards. Release on nil is a no-op.
func (r *Response) Release() {
	if r == nil || r.buf == nil {
		return
	}
	putBuf(r.buf)
	r.buf, r.Body = nil, nil
}

// Do sends req and reads the answer into a pooled buffer: at most limit
// bytes of a 2xx answer, MaxErrorBody bytes of any other. A non-2xx answer
// is returned as an error made by [CheckStatus] with model. A failed
// request is returned with its *url.Error (which names method and URL)
// in the chain; if req's context ended, the error wraps its ctx.Err().
func Do(hc *http.Client, req *http.Request, model string, limit int64) (*Response, error) {
	resp, err := send(hc, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	endpoint := req.URL.String()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok {
		limit = MaxErrorBody
	} else if resp.ContentLength > limit {
		return nil, tooLarge(endpoint, resp.ContentLength, limit)
	}

	buf := getBuf()
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, buf: buf}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	r.Body = buf.Bytes()
	if ok && int64(len(r.Body)) > limit {
		r.Release()
		return nil, tooLarge(endpoint, -1, limit)
	}
	if len(r.Body) > int(limit) {
		r.Body = r.Body[:limit]
	}
	if err != nil && ok {
		r.Release()
		return nil, readError(req.Context(), endpoint, err)
	}
	if err := CheckStatus(r, endpoint, model); err != nil {
		r.Release()
		return nil, err
	}
	return r, nil
}

// Stream sends req and, for a 2xx answer, returns the response with its
// body unread; the caller closes it. Errors are as for [Do].
func Stream(hc *http.Client, req *http.Request, model string) (*http.Response, error) {
	resp, err := send(hc, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	return nil, CheckStatus(&Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, req.URL.String(), model)
}

func send(hc *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err == nil {
		return resp, nil
	}
	if ctxErr := req.Context().Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return nil, fmt.Errorf("%s %s: %w (%v)", req.Method, req.URL, ctxErr, err)
	}
	return nil, transportError(err)
}

// readError explains a failure while reading an answer's body.
func readError(ctx context.Context, endpoint string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("reading the answer of %s: %w (%v)", endpoint, ctxErr, err)
	}
	return fmt.Errorf("reading the answer of %s: %w", endpoint, err)
}

func tooLarge(endpoint string, n, limit int64) error {
	what := "is over"
	if n >= 0 {
		what = fmt.Sprintf("has %d bytes, over", n)
	}
	return fmt.Errorf("%w from %s: the answer %s the %d bytes its vectors can take",
		salvo.ErrInvalidResponse, endpoint, what, limit)
}

// Bytes per vector value in an embedding answer, generously: a JSON number
// as float32 or float64 prints it, indented on a line of its own; base64 of
// a little-endian float32.
const (
	JSONValueBytes   = 32
	Base64ValueBytes = 6
	// UnknownDims is the vector size assumed before the first answer tells
	// it: larger than any embedding model's.
	UnknownDims = 8192
)

// AnswerLimit bounds the answer to a request of n texts whose vectors have
// dims values (0: not known yet) of perValue bytes each: twice what those
// vectors take, plus 64 KiB for the rest of the answer. An answer is read
// only up to its limit, so memory follows what a request may legitimately
// bring back, not a fixed cap.
func AnswerLimit(n, dims, perValue int) int64 {
	if dims <= 0 {
		dims = UnknownDims
	}
	return 2*int64(n)*int64(dims)*int64(perValue) + 64<<10
}

// NewRequest builds a request with a JSON body (none if body is nil) and the
// usual headers; apiKey, if set, is sent as a bearer token.
func NewRequest(ctx context.Context, method, url string, body []byte, userAgent, apiKey string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("building a request to %s: %w", url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if userAgent != "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	return req, nil
}
