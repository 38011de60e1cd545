package ollama

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

func TestEmbedErrors(t *testing.T) {
	type check func(t *testing.T, err error)
	status := func(code int, retryAfter time.Duration, msg string) check {
		return func(t *testing.T, err error) {
			var se *salvo.StatusError
			if !errors.As(err, &se) || se.StatusCode != code || se.RetryAfter != retryAfter ||
				!strings.Contains(se.Message, msg) || !strings.HasSuffix(se.Endpoint, "/api/embed") {
				t.Errorf("got %#v, want status %d, Retry-After %v, message with %q", err, code, retryAfter, msg)
			}
		}
	}
	invalid := func(msg string) check {
		return func(t *testing.T, err error) {
			if !errors.Is(err, salvo.ErrInvalidResponse) || !strings.Contains(err.Error(), msg) {
				t.Errorf("got %v, want an invalid response saying %q", err, msg)
			}
			if !salvo.Splittable(err) || salvo.Retryable(err) {
				t.Errorf("%v: want splittable, not retryable", err)
			}
		}
	}
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		retryable bool
		check     check
	}{
		{"busy", 503, map[string]string{"Retry-After": "2", "Content-Type": "application/json"},
			`{"error":"server busy, please try again.  maximum pending requests exceeded"}`, true,
			status(503, 2*time.Second, "maximum pending requests exceeded")},
		{"bad input", 400, nil, `{"error":"input exceeds maximum context length"}`, false,
			status(400, 0, "input exceeds maximum context length")},
		{"nan", 500, nil, `{"error":"embedding contains NaN or Inf values"}`, false,
			status(500, 0, "NaN")},
		{"proxy html", 502, map[string]string{"Content-Type": "text/html"},
			"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>", true,
			status(502, 0, "502 Bad Gateway 502 Bad Gateway nginx (text/html body)")},
		{"200 html", 200, map[string]string{"Content-Type": "text/html"}, "<html><body>Welcome to nginx!</body></html>", false,
			invalid("Welcome to nginx! (text/html body)")},
		{"truncated", 200, nil, `{"model":"m","embeddings":[[0.1,0.2],[0.3`, false, invalid("unexpected end")},
		{"count", 200, nil, `{"embeddings":[[0.1,0.2]]}`, false, invalid("1 vectors for 2 texts")},
		{"missing", 200, nil, `{"model":"m"}`, false, invalid(`no "embeddings"`)},
		{"wrong shape", 200, nil, `{"embeddings":"abc"}`, false, invalid("cannot unmarshal")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := New(srv.URL, Options{Model: "m", API: APIEmbed})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Embed(context.Background(), []string{"a", "b"})
			tt.check(t, err)
			if salvo.Retryable(err) != tt.retryable {
				t.Errorf("Retryable(%v) = %v, want %v", err, !tt.retryable, tt.retryable)
			}
		})
	}
}

func TestLegacyErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		check  func(error) bool
	}{
		{"missing model", 404, `{"error":"model \"m\" not found, try pulling it first"}`, func(err error) bool {
			var nf *salvo.ModelNotFoundError
			return errors.As(err, &nf) && nf.Model == "m" && strings.HasSuffix(nf.Endpoint, "/api/embeddings")
		}},
		{"empty vector", 200, `{"embedding":[]}`, func(err error) bool {
			return errors.Is(err, salvo.ErrInvalidResponse) && strings.Contains(err.Error(), "no vector for a text of 1 bytes")
		}},
		{"not json", 200, `oops`, func(err error) bool { return errors.Is(err, salvo.ErrInvalidResponse) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := New(srv.URL, Options{Model: "m", API: APIEmbeddings})
			if err != nil {
				t.Fatal(err)
			}
			if _, err = c.Embed(context.Background(), []string{"a"}); !tt.check(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestEmbedCancel(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // else the server does not notice the client leaving
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err = c.Embed(ctx, []string{"a"})
	if !errors.Is(err, context.Canceled) || salvo.Retryable(err) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if c.API() != APIAuto {
		t.Errorf("API = %s after a cancelled call, want auto", c.API())
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		opts    Options
		wantErr string
	}{
		{"no model", "", Options{}, "no model"},
		{"bad api", "", Options{Model: "m", API: "batch"}, `unknown Ollama API "batch"`},
		{"bad keep-alive", "", Options{Model: "m", KeepAlive: "forever"}, `keep-alive "forever"`},
		{"bad host", "http://h:99999", Options{Model: "m"}, "port"},
		{"negative dims", "", Options{Model: "m", Dimensions: -1}, "dimensions -1"},
		{"dims on legacy", "", Options{Model: "m", Dimensions: 8, API: APIEmbeddings}, "8 dimensions"},
		{"bad options", "", Options{Model: "m", ModelOptions: map[string]any{"f": func() {}}}, "model options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.host, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}
