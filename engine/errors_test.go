package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
)

// The engine's errors state facts, no flags, and keep the classes the
// retry logic and callers read.
func TestErrorsStateFacts(t *testing.T) {
	busy := &salvo.StatusError{StatusCode: 400, Message: "the input length exceeds the context length", Endpoint: "http://h/api/embed"}
	for _, tc := range []struct {
		err  error
		want string
		is   error
	}{
		{&engine.TooLongError{Err: busy, ContextTokens: 512}, "http://h/api/embed: 400 the input length exceeds the context length (the model's context is 512 tokens)", nil},
		{&engine.TimeoutError{Host: "h:11434", Timeout: 2 * time.Minute}, "h:11434: no answer within 2m0s: context deadline exceeded", context.DeadlineExceeded},
		{&engine.VectorSizeError{Got: 384, Want: 768}, "invalid response: got a 384-dimensional vector, the collection holds 768 dimensions", salvo.ErrInvalidResponse},
		{&engine.DuplicateError{First: "a.jsonl:1"}, "duplicate id, first seen at a.jsonl:1", nil},
		{&engine.HostsDownError{Hosts: 2, Timeout: time.Minute, Last: []error{errors.New("a: 500 boom"), errors.New("b: 502")}},
			"all 2 servers have failed for longer than 1m0s; the last answer: a: 500 boom\nb: 502\nCheck the server's log; records not stored yet are embedded by the next run", nil},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if strings.Contains(tc.err.Error(), "--") {
			t.Errorf("%q names a flag", tc.err.Error())
		}
		if tc.is != nil && !errors.Is(tc.err, tc.is) {
			t.Errorf("%q is not %v", tc.err, tc.is)
		}
	}
	if !salvo.Retryable(&engine.TimeoutError{Host: "h", Timeout: time.Second}) {
		t.Error("a request timeout is not retryable")
	}
	if !salvo.TooLong(&engine.TooLongError{Err: busy, ContextTokens: 512}) {
		t.Error("a TooLongError is not salvo.TooLong")
	}
}

// A text over the model's context: cut and stored when truncation is
// allowed, else failed with a *TooLongError that gives the context length.
func TestTruncationIsDetected(t *testing.T) {
	long := strings.Repeat("word ", 200)
	for _, allow := range []bool{true, false} {
		t.Run(map[bool]string{true: "truncate", false: "no truncate"}[allow], func(t *testing.T) {
			e := newEnv(t, ollamatest.Config{ContextTokens: 64})
			if !allow {
				no := false
				c, err := ollama.New(e.srv.URL(), ollama.Options{Model: model, Truncate: &no})
				if err != nil {
					t.Fatal(err)
				}
				e.client = c
			}
			cfg := e.config()
			cfg.Hosts[0].Embedder = e.client
			cfg.ContextTokens = 64
			cfg.Key.Truncate = allow
			in := inputs(20)
			in[7].Text = long
			rep := e.run(cfg, in)
			if allow {
				if rep.Truncated != 1 || rep.Failed != 0 || rep.Embedded != 20 {
					t.Fatalf("report %+v", rep)
				}
				return
			}
			if rep.Failed != 1 || rep.Embedded != 19 || rep.Truncated != 0 {
				t.Fatalf("report %+v", rep)
			}
			var tl *engine.TooLongError
			if f := e.fails.list()[0]; f.ID != "8" || !strings.Contains(f.Error, "context is 64 tokens") ||
				!errors.As(f.Err, &tl) || tl.ContextTokens != 64 || tl.Truncate {
				t.Errorf("failure %+v", f)
			}
		})
	}
}
