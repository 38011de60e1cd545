package embeddertest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollamatest"
)

// needServer skips a check that needs faults on a real server.
func needServer(t *testing.T, tg Target) *ollamatest.Server {
	t.Helper()
	if tg.Server == nil {
		t.Skip("needs a fake server (Target.Server) to inject faults")
	}
	return tg.Server
}

// expectOK checks that the client still works after a fault.
func expectOK(t *testing.T, e salvo.Embedder, after string) {
	t.Helper()
	emb, err := e.Embed(context.Background(), Texts[:2])
	if err != nil || len(emb.Vectors) != 2 {
		t.Errorf("after %s, a good request failed: %v", after, err)
	}
}

// class describes how an error must be read.
type class struct {
	status    int    // the *salvo.StatusError's code; 0: none required
	message   string // a part of the server's message it must carry
	retry     bool
	split     bool
	tooLong   bool
	invalid   bool // wraps salvo.ErrInvalidResponse
	canceled  bool // wraps context.Canceled
	deadline  bool // wraps context.DeadlineExceeded
	notFound  bool // a *salvo.ModelNotFoundError
	retryWait time.Duration
}

// classify checks err against c.
func classify(t *testing.T, name string, err error, c class) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", name)
		return
	}
	var se *salvo.StatusError
	isStatus := errors.As(err, &se)
	switch {
	case c.status != 0 && !isStatus:
		t.Errorf("%s: %v is not a *salvo.StatusError", name, err)
	case c.status != 0 && se.StatusCode != c.status:
		t.Errorf("%s: status %d, want %d", name, se.StatusCode, c.status)
	case c.message != "" && !strings.Contains(se.Message, c.message):
		t.Errorf("%s: message %q lacks the server's %q", name, se.Message, c.message)
	case c.status != 0 && se.Endpoint == "":
		t.Errorf("%s: the StatusError does not name the endpoint", name)
	}
	var nf *salvo.ModelNotFoundError
	checks := []struct {
		what      string
		got, want bool
	}{
		{"salvo.Retryable", salvo.Retryable(err), c.retry},
		{"salvo.Splittable", salvo.Splittable(err), c.split},
		{"salvo.TooLong", salvo.TooLong(err), c.tooLong},
		{"errors.Is(salvo.ErrInvalidResponse)", errors.Is(err, salvo.ErrInvalidResponse), c.invalid},
		{"errors.Is(context.Canceled)", errors.Is(err, context.Canceled), c.canceled},
		{"errors.Is(context.DeadlineExceeded)", errors.Is(err, context.DeadlineExceeded), c.deadline},
		{"a *salvo.ModelNotFoundError", errors.As(err, &nf), c.notFound},
	}
	for _, k := range checks {
		if k.got != k.want {
			t.Errorf("%s: %s is %v, want %v (error: %v)", name, k.what, k.got, k.want, err)
		}
	}
	if got := salvo.RetryAfter(err); got != c.retryWait {
		t.Errorf("%s: salvo.RetryAfter = %v, want %v", name, got, c.retryWait)
	}
}

func testErrors(t *testing.T, tg Target) {
	s := needServer(t, tg)
	e := tg.New(t, tg.Model)
	embedErr := func() error {
		_, err := e.Embed(context.Background(), Texts[:3])
		return err
	}
	for _, tc := range []struct {
		name   string
		inject func()
		want   class
	}{
		{"503 busy with Retry-After", func() {
			s.FailNextRetryAfter(1, http.StatusServiceUnavailable, tg.ErrorBody(ollamatest.MsgBusy), 7*time.Second)
		}, class{status: 503, message: "server busy", retry: true, retryWait: 7 * time.Second}},
		{"429", func() { s.FailNext(1, http.StatusTooManyRequests, tg.ErrorBody("rate limit reached")) },
			class{status: 429, message: "rate limit reached", retry: true}},
		{"502 proxy page", func() { s.HTMLNext(1, http.StatusBadGateway) },
			class{status: 502, message: "502 Bad Gateway", retry: true}},
		{"504 proxy page", func() { s.HTMLNext(1, http.StatusGatewayTimeout) },
			class{status: 504, message: "504 Gateway Time", retry: true}},
		{"dropped connection", func() { s.DropNext(1) }, class{retry: true}},
		{"500 one input failed", func() { s.FailNext(1, http.StatusInternalServerError, tg.ErrorBody(ollamatest.MsgPoison)) },
			class{status: 500, message: ollamatest.MsgPoison, split: true}},
		{"500 plain text", func() { s.FailNext(1, http.StatusInternalServerError, "runner crashed") },
			class{status: 500, message: "runner crashed", split: true}},
		{"400 bad input", func() { s.FailNext(1, http.StatusBadRequest, tg.ErrorBody("invalid input type")) },
			class{status: 400, message: "invalid input type", split: true}},
		{"401", func() { s.FailNext(1, http.StatusUnauthorized, tg.ErrorBody("invalid api key")) },
			class{status: 401, message: "invalid api key"}},
	} {
		tc.inject()
		classify(t, tc.name, embedErr(), tc.want)
		expectOK(t, e, tc.name)
	}

	s.SetDown(true)
	err := embedErr()
	s.SetDown(false)
	classify(t, "server down (connection reset)", err, class{retry: true})
	expectOK(t, e, "the server came back")
}

func testInvalid(t *testing.T, tg Target) {
	s := needServer(t, tg)
	e := tg.New(t, tg.Model)
	expectOK(t, e, "nothing") // the client knows the server and the vector size
	for _, tc := range []struct {
		name   string
		inject func()
	}{
		{"a vector missing", func() { s.WrongCountNext(1) }},
		{"answer cut in half", func() { s.TruncateNext(1) }},
	} {
		tc.inject()
		_, err := e.Embed(context.Background(), Texts[:3])
		classify(t, tc.name, err, class{invalid: true, split: true})
		expectOK(t, e, tc.name)
	}

	// Vectors of another size than before: refused, or handed over as they
	// came (the engine checks sizes), but never of mixed sizes.
	s.WrongDimsNext(1)
	emb, err := e.Embed(context.Background(), Texts[:3])
	switch {
	case err != nil:
		classify(t, "vectors one value short", err, class{invalid: true, split: true})
	case len(emb.Vectors) != 3:
		t.Errorf("vectors one value short: %d vectors for 3 texts", len(emb.Vectors))
	default:
		for i, v := range emb.Vectors {
			if len(v) != len(emb.Vectors[0]) {
				t.Errorf("vectors one value short: vector %d has %d values, vector 0 %d", i, len(v), len(emb.Vectors[0]))
			}
		}
	}
	expectOK(t, e, "vectors one value short")
}

func testTooLong(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	ran := false
	if tg.TooLong != "" {
		ran = true
		_, err := e.Embed(context.Background(), []string{Texts[0], tg.TooLong})
		classify(t, "the server's refusal", err, class{status: statusOf(err), split: true, tooLong: true})
		expectOK(t, e, "a text too long")
	}
	if s := tg.Server; s != nil {
		ran = true
		for _, tc := range []struct {
			name   string
			status int
			msg    string
		}{
			{"Ollama", 400, ollamatest.MsgTooLong},
			{"OpenAI", 400, "This model's maximum context length is 8192 tokens, however you requested 9000 tokens. Please reduce your prompt."},
			{"TEI", 413, "Input validation error: `inputs` must have less than 512 tokens. Given: 600"},
		} {
			s.FailNext(1, tc.status, tg.ErrorBody(tc.msg))
			_, err := e.Embed(context.Background(), Texts[:2])
			classify(t, tc.name, err, class{status: tc.status, message: tc.msg, split: true, tooLong: true})
		}
	}
	if !ran {
		t.Skip("no Target.TooLong and no fake server")
	}
}

// statusOf returns err's status, so that a check of the class does not
// also require a given code (servers answer 400, 413 or 500).
func statusOf(err error) int {
	var se *salvo.StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return -1
}

func testCanceled(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	before := requests(tg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Embed(ctx, Texts[:2])
	classify(t, "context cancelled before the call", err, class{canceled: true})
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	_, err = e.Embed(past, Texts[:2])
	classify(t, "deadline passed before the call", err, class{deadline: true, retry: true})
	if after := requests(tg); after != before {
		t.Errorf("calls with a context already done sent %d requests", after-before)
	}

	s := tg.Server
	if s == nil {
		return
	}
	// Cancelled while the server holds the request.
	release := s.Gate()
	defer release()
	st := s.Stats()
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.Embed(ctx, Texts[:2])
		done <- err
	}()
	wait, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	if err := s.Await(wait, func(now ollamatest.Stats) bool { return now.Holding > st.Holding }); err != nil {
		t.Fatalf("the request did not reach the server: %v", err)
	}
	cancel()
	select {
	case err = <-done:
	case <-wait.Done():
		t.Fatal("Embed did not return after its context was cancelled while the server held the request")
	}
	classify(t, "context cancelled in flight", err, class{canceled: true})
	// The client closed the request: the server sees it go.
	if err := s.Await(wait, func(now ollamatest.Stats) bool { return now.Canceled > st.Canceled }); err != nil {
		t.Errorf("the server never saw the cancelled request go: %v", err)
	}
	release()
	expectOK(t, e, "a cancelled call")
}

func testAnswerBound(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	// A large batch is within its bound.
	big := make([]string, 0, 40*len(Texts))
	for i := range 40 {
		for _, text := range Texts {
			big = append(big, text+" #"+strings.Repeat("x", i))
		}
	}
	embed(t, e, big)

	s := needServer(t, tg)
	// A valid answer to one text, 16 MiB long: no vector takes that.
	const pad = 16 << 20
	for _, announce := range []bool{true, false} {
		s.PadNext(1, pad, announce)
		_, err := e.Embed(context.Background(), Texts[:1])
		name := "16 MiB answer with its Content-Length"
		if !announce {
			name = "16 MiB answer without Content-Length"
		}
		classify(t, name, err, class{invalid: true, split: true})
		expectOK(t, e, name)
	}
}
