package httpx

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

func get(t *testing.T, ctx context.Context, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"a":1}`)
		case "/big":
			w.Header().Set("Content-Length", "2000")
			io.WriteString(w, strings.Repeat("x", 2000))
		case "/chunked":
			for range 20 {
				io.WriteString(w, strings.Repeat("x", 100))
				w.(http.Flusher).Flush()
			}
		case "/busy":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"server busy"}`)
		case "/huge-error":
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, strings.Repeat("<p>proxy</p>", 100000))
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	r, err := Do(srv.Client(), get(t, ctx, srv.URL+"/ok"), "m", 1000)
	if err != nil || string(r.Body) != `{"a":1}` || r.StatusCode != 200 {
		t.Fatalf("ok: %v, %+v", err, r)
	}
	r.Release()
	r.Release() // harmless

	for _, path := range []string{"/big", "/chunked"} {
		_, err = Do(srv.Client(), get(t, ctx, srv.URL+path), "m", 1000)
		if !errors.Is(err, salvo.ErrInvalidResponse) || !strings.Contains(err.Error(), "its vectors can take") {
			t.Errorf("%s: got %v, want an invalid-response error about the size", path, err)
		}
	}

	_, err = Do(srv.Client(), get(t, ctx, srv.URL+"/busy"), "m", 1000)
	var se *salvo.StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 || se.RetryAfter != 3*time.Second || se.Message != "server busy" {
		t.Errorf("busy: got %#v", err)
	}

	_, err = Do(srv.Client(), get(t, ctx, srv.URL+"/huge-error"), "m", 1000)
	if !errors.As(err, &se) || se.StatusCode != 502 || len(se.Message) > 300 || !strings.HasPrefix(se.Message, "proxy proxy") {
		t.Errorf("huge error: got %#v", err)
	}
}

func TestDoConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	_, err = Do(NewClient(), get(t, context.Background(), "http://"+addr+"/x"), "", 100)
	if !errors.Is(err, syscall.ECONNREFUSED) || !salvo.Retryable(err) {
		t.Fatalf("got %v, want a retryable connection-refused error", err)
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "ollama serve") {
		t.Errorf("error %q should name the address and say what to do", err)
	}
}

func TestDoContext(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err := Do(srv.Client(), get(t, ctx, srv.URL), "", 100)
	if !errors.Is(err, context.Canceled) || salvo.Retryable(err) {
		t.Errorf("cancelled: got %v, want context.Canceled, not retryable", err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = Do(srv.Client(), get(t, ctx, srv.URL), "", 100)
	if !errors.Is(err, context.DeadlineExceeded) || !salvo.Retryable(err) {
		t.Errorf("deadline: got %v, want context.DeadlineExceeded, retryable", err)
	}
}

func TestStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			io.WriteString(w, `{"error":"pull model manifest: file does not exist"}`)
			return
		}
		io.WriteString(w, "a\nb\n")
	}))
	defer srv.Close()

	resp, err := Stream(srv.Client(), get(t, context.Background(), srv.URL), "m")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	resp.Body.Close()
	if strings.Join(lines, ",") != "a,b" {
		t.Errorf("lines %q", lines)
	}

	_, err = Stream(srv.Client(), get(t, context.Background(), srv.URL+"/fail"), "m")
	var se *salvo.StatusError
	if !errors.As(err, &se) || se.StatusCode != 500 || se.Message != "pull model manifest: file does not exist" {
		t.Errorf("fail: got %#v", err)
	}
}

// TestDoKeepsBuffersAcrossGC checks that an answer's buffer outlives
// garbage collections (which empty a sync.Pool): the next answer of the
// same size allocates no new one.
func TestDoKeepsBuffersAcrossGC(t *testing.T) {
	const size = 1 << 20
	body := strings.Repeat("x", size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	defer srv.Close()
	for len(free) > 0 { // smaller buffers of other tests
		<-free
	}
	do := func() {
		r, err := Do(srv.Client(), get(t, context.Background(), srv.URL), "m", 2*size)
		if err != nil || len(r.Body) != size {
			t.Fatalf("Do: %v", err)
		}
		r.Release()
	}
	do()
	runtime.GC()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	do()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n >= size/2 {
		t.Errorf("an answer of %d bytes after two collections allocated %d bytes: its buffer was not kept", size, n)
	}
}
