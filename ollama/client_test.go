package ollama

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// server is a fake Ollama: routes maps "METHOD /path" to a handler that
// gets the decoded JSON body. It counts requests per route and fails the
// test on any request to a route it does not know.
type server struct {
	t      *testing.T
	routes map[string]func(w http.ResponseWriter, body map[string]any)
	mu     sync.Mutex
	hits   map[string]int
	srv    *httptest.Server
}

func newServer(t *testing.T, routes map[string]func(w http.ResponseWriter, body map[string]any)) *server {
	t.Helper()
	s := &server{t: t, routes: routes, hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	s.mu.Lock()
	s.hits[route]++
	s.mu.Unlock()
	h, ok := s.routes[route]
	if !ok {
		s.t.Errorf("unexpected request %s", route)
		http.NotFound(w, r)
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			s.t.Errorf("%s: Content-Type %q", route, ct)
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			s.t.Errorf("%s: body is not JSON: %v", route, err)
		}
	}
	if ua := r.Header.Get("User-Agent"); ua != "salvo-test" {
		s.t.Errorf("%s: User-Agent %q", route, ua)
	}
	h(w, body)
}

func (s *server) count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[route]
}

func (s *server) client(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.Model == "" {
		opts.Model = "all-minilm"
	}
	opts.UserAgent = "salvo-test"
	c, err := New(s.srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// embedOK answers /api/embed with vector [i, len(text)] for input i.
func embedOK(w http.ResponseWriter, body map[string]any) {
	in, _ := body["input"].([]any)
	vecs := make([][]float32, len(in))
	for i, t := range in {
		vecs[i] = []float32{float32(i), float32(len(t.(string)))}
	}
	writeJSON(w, 200, map[string]any{"model": body["model"], "embeddings": vecs,
		"total_duration": 2000000, "load_duration": 1000, "prompt_eval_count": 5 * len(in)})
}

// embeddingsOK answers /api/embeddings with [len(prompt), 0.5].
func embeddingsOK(w http.ResponseWriter, body map[string]any) {
	p, _ := body["prompt"].(string)
	writeJSON(w, 200, map[string]any{"embedding": []float64{float64(len(p)), 0.5}})
}

func routeNotFound(w http.ResponseWriter, _ map[string]any) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(404)
	io.WriteString(w, "404 page not found")
}

func TestEmbed(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"POST /api/embed": func(w http.ResponseWriter, body map[string]any) {
			want := map[string]any{"model": "all-minilm", "input": []any{"a", "b \"quoted\"\n", "漢字"},
				"truncate": false, "dimensions": 64.0, "keep_alive": "10m", "options": map[string]any{"num_ctx": 512.0}}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("body %v, want %v", body, want)
			}
			embedOK(w, body)
		},
	})
	no := false
	c := s.client(t, Options{Dimensions: 64, Truncate: &no, KeepAlive: "10m", ModelOptions: map[string]any{"num_ctx": 512}})
	if c.API() != APIAuto {
		t.Errorf("API before the first call = %s", c.API())
	}
	emb, err := c.Embed(context.Background(), []string{"a", "b \"quoted\"\n", "漢字"})
	if err != nil {
		t.Fatal(err)
	}
	want := &salvo.Embedding{Vectors: [][]float32{{0, 1}, {1, 11}, {2, 6}}, PromptTokens: 15,
		LoadDuration: time.Microsecond, TotalDuration: 2 * time.Millisecond}
	if !reflect.DeepEqual(emb, want) {
		t.Errorf("Embed = %+v, want %+v", emb, want)
	}
	if c.API() != APIEmbed {
		t.Errorf("API after a success = %s, want embed", c.API())
	}
	if emb, err := c.Embed(context.Background(), nil); err != nil || len(emb.Vectors) != 0 || s.count("POST /api/embed") != 1 {
		t.Errorf("empty batch: %v, %v, %d requests", emb, err, s.count("POST /api/embed"))
	}
}

func TestEmbedRequestBody(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"defaults", Options{}, `{"model":"all-minilm","input":["x"]}`},
		{"truncate", Options{Truncate: &yes}, `{"model":"all-minilm","input":["x"],"truncate":true}`},
		{"keep-alive forever", Options{KeepAlive: "-1"}, `{"model":"all-minilm","input":["x"],"keep_alive":-1}`},
		{"keep-alive seconds", Options{KeepAlive: " 300 "}, `{"model":"all-minilm","input":["x"],"keep_alive":300}`},
		{"keep-alive duration", Options{KeepAlive: "1h30m"}, `{"model":"all-minilm","input":["x"],"keep_alive":"1h30m"}`},
		{"options", Options{ModelOptions: map[string]any{"num_thread": 2}}, `{"model":"all-minilm","input":["x"],"options":{"num_thread":2}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan []byte, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- b
				io.WriteString(w, `{"embeddings":[[1]]}`)
			}))
			defer srv.Close()
			tt.opts.Model = "all-minilm"
			c, err := New(srv.URL, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Embed(context.Background(), []string{"x"}); err != nil {
				t.Fatal(err)
			}
			if b := <-got; string(b) != tt.want {
				t.Errorf("body %s, want %s", b, tt.want)
			}
		})
	}
}

func TestEmbedLegacy(t *testing.T) {
	var mu sync.Mutex
	var prompts []string
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"POST /api/embeddings": func(w http.ResponseWriter, body map[string]any) {
			if body["model"] != "all-minilm" || body["keep_alive"] != -1.0 || len(body) != 3 {
				t.Errorf("body %v", body)
			}
			mu.Lock()
			prompts = append(prompts, body["prompt"].(string))
			mu.Unlock()
			embeddingsOK(w, body)
		},
	})
	c := s.client(t, Options{API: APIEmbeddings, KeepAlive: "-1"})
	emb, err := c.Embed(context.Background(), []string{"one", "three"})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]float32{{3, 0.5}, {5, 0.5}}; !reflect.DeepEqual(emb.Vectors, want) {
		t.Errorf("vectors %v, want %v", emb.Vectors, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(prompts, ",") != "one,three" {
		t.Errorf("prompts sent %q, want one by one in order", prompts)
	}
}

func TestAutoFallback(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"POST /api/embed":      routeNotFound,
		"POST /api/embeddings": embeddingsOK,
	})
	c := s.client(t, Options{})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 8 {
		wg.Go(func() {
			emb, err := c.Embed(context.Background(), []string{"ab", "abcd"})
			if err != nil || !reflect.DeepEqual(emb.Vectors, [][]float32{{2, 0.5}, {4, 0.5}}) {
				t.Errorf("Embed = %v, %v", emb, err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if c.API() != APIEmbeddings {
		t.Fatalf("API after fallback = %s", c.API())
	}
	before := s.count("POST /api/embed")
	if _, err := c.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if after := s.count("POST /api/embed"); after != before || before == 0 || before > 8 {
		t.Errorf("/api/embed asked %d times during detection and %d after", before, after-before)
	}
}

func TestAutoNoFallbackOnMissingModel(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"POST /api/embed": func(w http.ResponseWriter, body map[string]any) {
			writeJSON(w, 404, map[string]string{"error": fmt.Sprintf("model '%s' not found", body["model"])})
		},
	})
	c := s.client(t, Options{})
	_, err := c.Embed(context.Background(), []string{"x"})
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) || nf.Model != "all-minilm" || !strings.HasSuffix(nf.Endpoint, "/api/embed") {
		t.Fatalf("got %v, want a ModelNotFoundError", err)
	}
	if salvo.Retryable(err) || c.API() != APIAuto {
		t.Errorf("retryable %v, API %s", salvo.Retryable(err), c.API())
	}
}

func TestAutoBothMissing(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){
		"POST /api/embed":      routeNotFound,
		"POST /api/embeddings": routeNotFound,
	})
	c := s.client(t, Options{})
	_, err := c.Embed(context.Background(), []string{"x"})
	var se *salvo.StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(err.Error(), "base path") {
		t.Fatalf("got %v, want a 404 that asks about the base path", err)
	}
	if c.API() != APIAuto {
		t.Errorf("API = %s, want auto still", c.API())
	}
}

func TestAutoFallbackWithDimensions(t *testing.T) {
	s := newServer(t, map[string]func(http.ResponseWriter, map[string]any){"POST /api/embed": routeNotFound})
	c := s.client(t, Options{Dimensions: 32})
	_, err := c.Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "32 dimensions") {
		t.Fatalf("got %v, want an error about dimensions on an old server", err)
	}
}
