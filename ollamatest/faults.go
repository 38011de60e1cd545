package ollamatest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

type faultKind int

const (
	faultFail faultKind = iota
	faultDrop
	faultHTML
	faultWrongDims
	faultWrongCount
	faultSlow
	faultTruncate
	faultPad
)

type fault struct {
	kind       faultKind
	n          int
	status     int
	body       string
	retryAfter time.Duration
	delay      time.Duration
	size       int  // faultPad: bytes added
	announce   bool // faultPad: the Content-Length counts them
}

type textFault int

const (
	textNaN textFault = iota + 1
	textNull
	textZero
	textPoison
)

// Error messages of the embedding endpoints. All but MsgPoison are
// Ollama 0.17.4's own.
const (
	// MsgNaN is the error when the model yields NaN: Ollama's runner cannot
	// encode it and the whole request fails with 500.
	MsgNaN = "failed to encode response: json: unsupported value: NaN"
	// MsgTooLong is the error for an input longer than the context when
	// truncation is off (400 on /api/embed, 500 on /api/embeddings).
	MsgTooLong = "the input length exceeds the context length"
	// MsgBusy is the 503 error when the queue is full.
	MsgBusy = "server busy, please try again.  maximum pending requests exceeded"
	// MsgPoison is the 500 error of a request that contains a Poison text.
	MsgPoison = "failed to embed: the model failed to evaluate an input"
)

func (s *Server) queueFault(f fault) {
	if f.n <= 0 {
		return
	}
	if f.status < 100 || f.status > 999 { // net/http panics on such a status
		f.status = http.StatusInternalServerError
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// FailNext answers the next n embedding requests with status and body,
// without evaluating them. A body starting with '{' is sent as JSON, any
// other as text; an empty body becomes {"error":"<status text>"}.
func (s *Server) FailNext(n, status int, body string) {
	s.queueFault(fault{kind: faultFail, n: n, status: status, body: body})
}

// FailNextRetryAfter is FailNext with a Retry-After header of after,
// rounded up to whole seconds.
func (s *Server) FailNextRetryAfter(n, status int, body string, after time.Duration) {
	s.queueFault(fault{kind: faultFail, n: n, status: status, body: body, retryAfter: after})
}

// DropNext closes the connection of the next n embedding requests without
// answering them.
func (s *Server) DropNext(n int) { s.queueFault(fault{kind: faultDrop, n: n}) }

// HTMLNext answers the next n embedding requests with status and an HTML
// error page, as a reverse proxy in front of Ollama does.
func (s *Server) HTMLNext(n, status int) { s.queueFault(fault{kind: faultHTML, n: n, status: status}) }

// WrongDimsNext makes the next n embedding requests answer vectors one
// value short.
func (s *Server) WrongDimsNext(n int) { s.queueFault(fault{kind: faultWrongDims, n: n}) }

// WrongCountNext makes the next n embedding requests answer one vector
// fewer than they had inputs.
func (s *Server) WrongCountNext(n int) { s.queueFault(fault{kind: faultWrongCount, n: n}) }

// SlowNext makes the next n embedding requests answer d later than they
// would, after their evaluation, so that a client's timeout fires. The
// wait ends early if the client goes away.
func (s *Server) SlowNext(n int, d time.Duration) {
	s.queueFault(fault{kind: faultSlow, n: n, delay: d})
}

// TruncateNext makes the next n embedding requests that succeed answer
// only the first half of their body, with a Content-Length that matches
// the cut: a complete HTTP answer whose JSON ends in the middle, as a
// broken proxy or a full disk on the way can produce.
func (s *Server) TruncateNext(n int) { s.queueFault(fault{kind: faultTruncate, n: n}) }

// PadNext makes the next n embedding requests that succeed answer size
// bytes more than they would: spaces inserted before the body's last byte,
// so the answer is still valid JSON and only its size is wrong, as a server
// gone mad or a hostile one can send. With announce the Content-Length
// counts them; without it the answer has none (chunked), so a client can
// only find out while reading. Clients are expected to stop at a bound
// that follows what the request can legitimately bring back.
func (s *Server) PadNext(n, size int, announce bool) {
	s.queueFault(fault{kind: faultPad, n: n, size: max(size, 0), announce: announce})
}

// NaNFor makes the model yield NaN for text. Ollama 0.17.4 cannot encode
// such a vector and fails the whole request with 500 {"error": MsgNaN}; it
// does not say which input was at fault. See NullFor for servers that send
// the NaN anyway.
func (s *Server) NaNFor(text string) { s.setText(text, textNaN) }

// NullFor makes text's vector carry a NaN that the server sends anyway, as
// llama.cpp and TEI do on their OpenAI endpoint: null in JSON, NaN bits in
// base64. Its first value is the NaN.
func (s *Server) NullFor(text string) { s.setText(text, textNull) }

// ZeroFor makes text's vector all zeros; normalising keeps it zero.
func (s *Server) ZeroFor(text string) { s.setText(text, textZero) }

// Poison makes every request that contains text fail whole with
// 500 {"error": MsgPoison}, after its evaluation, as Ollama does when one
// input of a batch fails.
func (s *Server) Poison(text string) { s.setText(text, textPoison) }

func (s *Server) setText(text string, f textFault) {
	s.mu.Lock()
	s.perText[text] = f
	s.mu.Unlock()
}

// SetDown makes the server close every connection at once, without an
// answer and with a TCP reset, on every path, until SetDown(false).
// Requests already being served finish normally.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// ClearFaults forgets the queued faults and the per-text faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.perText = make(map[string]textFault)
	s.mu.Unlock()
}

// MsgChaos is the error of the 500 answers that Chaos injects.
const MsgChaos = "llama runner process has terminated: exit status 2"

// Chaos injects faults at random, each embedding request meeting at most
// one, with these probabilities (their sum is at most 1). A request that a
// queued fault (FailNext, DropNext…) is set for takes that one instead.
// The draws follow Seed, so a test that sends its requests in one order
// meets the same faults on every run.
type Chaos struct {
	Seed       uint64
	Fail500    float64       // 500 {"error": MsgChaos}, as a crashed runner answers
	Drop       float64       // the connection closed without an answer
	ProxyPage  float64       // an HTML 502 page from a proxy (see HTMLNext)
	WrongDims  float64       // vectors one value short (see WrongDimsNext)
	WrongCount float64       // one vector fewer than inputs (see WrongCountNext)
	Truncate   float64       // the body cut in half (see TruncateNext)
	Slow       float64       // the answer SlowDelay late (see SlowNext)
	SlowDelay  time.Duration // default 1 minute
}

// SetChaos starts injecting faults at random as c says; the zero Chaos
// stops it. It panics if a probability is negative or their sum is over 1.
func (s *Server) SetChaos(c Chaos) {
	sum := 0.0
	for _, p := range c.weights() {
		if p.p < 0 {
			panic("ollamatest: negative probability in Chaos")
		}
		sum += p.p
	}
	if sum > 1+1e-9 {
		panic(fmt.Sprintf("ollamatest: Chaos probabilities add up to %v, over 1", sum))
	}
	if c.SlowDelay <= 0 {
		c.SlowDelay = time.Minute
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sum == 0 {
		s.chaos = nil
		return
	}
	s.chaos = &chaos{Chaos: c, rng: rand.New(rand.NewPCG(c.Seed, c.Seed^0x5eed))}
}

type chaos struct {
	Chaos
	rng *rand.Rand
}

type weighted struct {
	p float64
	f fault
}

func (c Chaos) weights() []weighted {
	return []weighted{
		{c.Fail500, fault{kind: faultFail, status: http.StatusInternalServerError, body: string(appendErrorJSON(nil, MsgChaos))}},
		{c.Drop, fault{kind: faultDrop}},
		{c.ProxyPage, fault{kind: faultHTML, status: http.StatusBadGateway}},
		{c.WrongDims, fault{kind: faultWrongDims}},
		{c.WrongCount, fault{kind: faultWrongCount}},
		{c.Truncate, fault{kind: faultTruncate}},
		{c.Slow, fault{kind: faultSlow, delay: c.SlowDelay}},
	}
}

// draw picks a fault, or none.
func (c *chaos) draw() (fault, bool) {
	u := c.rng.Float64()
	for _, w := range c.weights() {
		if u < w.p {
			return w.f, true
		}
		u -= w.p
	}
	return fault{}, false
}

// truncator cuts a successful answer to half its Content-Length.
type truncator struct {
	http.ResponseWriter
	left int // bytes still to write; -1 until the header is written
}

func (t *truncator) WriteHeader(code int) {
	if n, err := strconv.Atoi(t.Header().Get("Content-Length")); err == nil && code == http.StatusOK {
		t.left = n / 2
		t.Header().Set("Content-Length", strconv.Itoa(t.left))
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *truncator) Write(b []byte) (int, error) {
	if t.left < 0 {
		return t.ResponseWriter.Write(b)
	}
	n := min(len(b), t.left)
	t.left -= n
	if _, err := t.ResponseWriter.Write(b[:n]); err != nil {
		return 0, err
	}
	return len(b), nil
}

// padder inserts size spaces before the last byte of a successful answer.
type padder struct {
	http.ResponseWriter
	size     int
	announce bool // else the answer goes without Content-Length (chunked)
	ok       bool // a 2xx answer whose body is padded
}

func (p *padder) WriteHeader(code int) {
	p.ok = code >= 200 && code < 300
	if p.ok {
		h := p.Header()
		if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil && p.announce {
			h.Set("Content-Length", strconv.Itoa(n+p.size))
		} else {
			h.Del("Content-Length")
		}
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *padder) Write(b []byte) (int, error) {
	if !p.ok || p.size == 0 || len(b) == 0 {
		return p.ResponseWriter.Write(b)
	}
	if _, err := p.ResponseWriter.Write(b[:len(b)-1]); err != nil {
		return 0, err
	}
	spaces := bytes.Repeat([]byte{' '}, min(p.size, 64<<10))
	for left := p.size; left > 0; {
		k := min(left, len(spaces))
		if _, err := p.ResponseWriter.Write(spaces[:k]); err != nil {
			return 0, err // the client stopped reading
		}
		left -= k
	}
	p.size = 0
	if _, err := p.ResponseWriter.Write(b[len(b)-1:]); err != nil {
		return 0, err
	}
	return len(b), nil
}

// writeFault answers a request with an arrival fault. It reports false for
// the faults that only change the answer (wrong dims or count, slow, cut).
func writeFault(w http.ResponseWriter, f fault) bool {
	switch f.kind {
	case faultDrop:
		hangUp(w, false)
	case faultHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		text := fmt.Sprintf("%d %s", f.status, http.StatusText(f.status))
		fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", text, text)
	case faultFail:
		body := f.body
		if body == "" {
			body = string(appendErrorJSON(nil, http.StatusText(f.status)))
		}
		if f.retryAfter > 0 {
			secs := (f.retryAfter + time.Second - 1) / time.Second
			w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
		}
		if body[0] == '{' {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(f.status)
		w.Write([]byte(body))
	default:
		return false
	}
	return true
}
