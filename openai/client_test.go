package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// fake is an OpenAI-compatible server. It checks the method, path, headers
// and body of every request and answers with answer(body).
type fake struct {
	t        *testing.T
	path     string
	apiKey   string
	answer   func(w http.ResponseWriter, body map[string]any)
	mu       sync.Mutex
	requests []map[string]any
	srv      *httptest.Server
}

func newFake(t *testing.T, path string, answer func(w http.ResponseWriter, body map[string]any)) *fake {
	f := &fake{t: t, path: path, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != f.path {
			t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, f.path)
		}
		if got, want := r.Header.Get("Authorization"), bearer(f.apiKey); got != want {
			t.Errorf("Authorization %q, want %q", got, want)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		f.mu.Lock()
		f.requests = append(f.requests, body)
		f.mu.Unlock()
		answer(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func bearer(key string) string {
	if key == "" {
		return ""
	}
	return "Bearer " + key
}

func (f *fake) bodies() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.requests...)
}

// vec is the vector the fake gives text number i: [i, len(text)].
func vec(i int, text string) []float32 { return []float32{float32(i), float32(len(text))} }

// answerList answers like OpenAI: base64 when asked, in reverse order to
// check that the client orders by index.
func answerList(w http.ResponseWriter, body map[string]any) {
	in := body["input"].([]any)
	var data []string
	for i := len(in) - 1; i >= 0; i-- {
		v := vec(i, in[i].(string))
		var emb []byte
		if body["encoding_format"] == "base64" {
			emb, _ = json.Marshal(b64(v...))
		} else {
			emb, _ = json.Marshal(v)
		}
		data = append(data, fmt.Sprintf(`{"object":"embedding","index":%d,"embedding":%s}`, i, emb))
	}
	fmt.Fprintf(w, `{"object":"list","data":[%s],"model":%q,"usage":{"prompt_tokens":%d,"total_tokens":0}}`,
		strings.Join(data, ","), body["model"], 3*len(in))
}

func TestEmbed(t *testing.T) {
	no := false
	tests := []struct {
		name, base, path string
		opts             Options
		wantFormat       string
	}{
		{"base64", "", "/v1/embeddings", Options{Dimensions: 256, APIKey: "sk-test"}, "base64"},
		{"floats asked", "", "/v1/embeddings", Options{Base64: &no}, "float"},
		{"base ends in v1", "/v1", "/v1/embeddings", Options{}, "base64"},
		{"full endpoint", "/proxy/v1/embeddings", "/proxy/v1/embeddings", Options{}, "base64"},
		{"base path", "/litellm/", "/litellm/v1/embeddings", Options{}, "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.path, answerList)
			f.apiKey = tt.opts.APIKey
			tt.opts.Model = "text-embedding-3-small"
			c, err := New(f.srv.URL+tt.base, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			texts := []string{"a", "bb", "ccc"}
			emb, err := c.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			want := &salvo.Embedding{Vectors: [][]float32{vec(0, "a"), vec(1, "bb"), vec(2, "ccc")}, PromptTokens: 9}
			if !reflect.DeepEqual(emb, want) {
				t.Errorf("Embed = %+v, want %+v", emb, want)
			}
			wantBody := map[string]any{"model": "text-embedding-3-small", "input": []any{"a", "bb", "ccc"}, "encoding_format": tt.wantFormat}
			if tt.opts.Dimensions > 0 {
				wantBody["dimensions"] = float64(tt.opts.Dimensions)
			}
			if got := f.bodies(); len(got) != 1 || !reflect.DeepEqual(got[0], wantBody) {
				t.Errorf("requests %v, want one with %v", got, wantBody)
			}
			if !strings.HasSuffix(c.Endpoint(), tt.path) {
				t.Errorf("Endpoint() = %s", c.Endpoint())
			}
		})
	}
}

func TestBase64Refused(t *testing.T) {
	f := newFake(t, "/v1/embeddings", func(w http.ResponseWriter, body map[string]any) {
		if body["encoding_format"] == "base64" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"Invalid value for 'encoding_format' = base64. Supported values: ['float'].","type":"invalid_request_error"}}`)
			return
		}
		answerList(w, body)
	})
	c, err := New(f.srv.URL, Options{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		emb, err := c.Embed(context.Background(), []string{"x"})
		if err != nil || !reflect.DeepEqual(emb.Vectors, [][]float32{vec(0, "x")}) {
			t.Fatalf("Embed = %v, %v", emb, err)
		}
	}
	var formats []any
	for _, b := range f.bodies() {
		formats = append(formats, b["encoding_format"])
	}
	if want := []any{"base64", "float", "float"}; !reflect.DeepEqual(formats, want) {
		t.Errorf("encoding formats asked %v, want %v", formats, want)
	}
}

func TestEmbedErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		check  func(error) bool
	}{
		{"model not found", 404, nil,
			`{"error":{"message":"The model ` + "`m`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			func(err error) bool {
				var nf *salvo.ModelNotFoundError
				return errors.As(err, &nf) && nf.Model == "m" && strings.HasPrefix(nf.Message, "The model `m` does not exist")
			}},
		{"ollama model not found", 404, nil, `{"error":{"message":"model 'm' not found","type":"api_error","param":null,"code":null}}`,
			func(err error) bool {
				var nf *salvo.ModelNotFoundError
				return errors.As(err, &nf)
			}},
		{"rate limited", 429, map[string]string{"Retry-After": "20"}, `{"error":{"message":"Rate limit reached","type":"requests"}}`,
			func(err error) bool {
				var se *salvo.StatusError
				return errors.As(err, &se) && se.RetryAfter == 20*time.Second && salvo.Retryable(err)
			}},
		{"proxy html", 502, map[string]string{"Content-Type": "text/html"}, "<html><body><h1>502 Bad Gateway</h1></body></html>",
			func(err error) bool {
				var se *salvo.StatusError
				return errors.As(err, &se) && se.Message == "502 Bad Gateway (text/html body)" && salvo.Retryable(err)
			}},
		{"200 html", 200, map[string]string{"Content-Type": "text/html"}, "<html>It works!</html>",
			func(err error) bool {
				return errors.Is(err, salvo.ErrInvalidResponse) && strings.Contains(err.Error(), "It works! (text/html body)")
			}},
		{"count", 200, nil, `{"data":[{"embedding":[1],"index":0}]}`,
			func(err error) bool {
				return errors.Is(err, salvo.ErrInvalidResponse) && strings.Contains(err.Error(), "1 vectors for 2 texts")
			}},
		{"truncated", 200, nil, `{"data":[{"embedding":[1],"index":0},{"embedd`,
			func(err error) bool { return errors.Is(err, salvo.ErrInvalidResponse) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "/v1/embeddings", func(w http.ResponseWriter, _ map[string]any) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c, err := New(f.srv.URL, Options{Model: "m"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Embed(context.Background(), []string{"a", "b"}); !tt.check(err) {
				t.Errorf("got %#v (%v)", err, err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		base    string
		opts    Options
		wantErr string
	}{
		{"", Options{}, "no model"},
		{"ftp://x", Options{Model: "m"}, "scheme"},
		{"", Options{Model: "m", Dimensions: -2}, "dimensions -2"},
	}
	for _, tt := range tests {
		if _, err := New(tt.base, tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("New(%q, %+v) error %v, want %q", tt.base, tt.opts, err, tt.wantErr)
		}
	}
	c, err := New("", Options{Model: "m"})
	if err != nil || c.Endpoint() != "http://127.0.0.1:11434/v1/embeddings" {
		t.Errorf("default endpoint %v, %v", c, err)
	}
}
