package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// salvo serve on a free port: the API answers with the collection's own
// model, and cancelling (Ctrl-C) stops it with exit code 0.
func TestServeCommand(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--db", db, "--host", s.URL(), "--addr", "127.0.0.1:0"}, Stdio{Out: io.Discard, Err: pw})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if base == "" {
		t.Fatalf("serve printed %q, want its 127.0.0.1 address", line)
	}
	resp, err := http.Get(base + "/api/search?collection=movies&k=1&q=" + url.QueryEscape("The Waltz of Kestrel Mills"))
	if err != nil {
		t.Fatal(err)
	}
	var out searchOut
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || len(out.Results) != 1 || out.Results[0].ID != "7" {
		t.Errorf("search through salvo serve: %+v, %v", out, err)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("serve exited %d after Ctrl-C, want 0", code)
	}
}

func TestServeRefusesABusyAddress(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	busy := regexp.MustCompile(`127\.0\.0\.1:\d+`).FindString(s.URL())
	r := run(t, "", "serve", "--db", db, "--addr", busy)
	if r.code != ExitFatal || !regexp.MustCompile(`choose another --addr`).MatchString(r.err) {
		t.Errorf("exit %d, stderr %q", r.code, r.err)
	}
}
