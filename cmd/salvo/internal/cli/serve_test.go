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
	base, stop := startServe(t, "--db", db, "--host", s.URL())
	var out searchOut
	getJSON(t, base+"/api/search?collection=movies&k=1&q="+url.QueryEscape("The Waltz of Kestrel Mills"), &out)
	if len(out.Results) != 1 || out.Results[0].ID != "7" {
		t.Errorf("search through salvo serve: %+v", out)
	}
	if code := stop(); code != ExitOK {
		t.Errorf("serve exited %d after Ctrl-C, want 0", code)
	}
}

// A request under a name that is not the server's (DNS rebinding) gets 421
// with the flag that allows it; --allow-host allows it.
func TestServeChecksHost(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	get := func(base, host string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/api/collections", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	base, stop := startServe(t, "--db", db, "--host", s.URL())
	if code, body := get(base, "attacker.example:18080"); code != http.StatusMisdirectedRequest ||
		!regexp.MustCompile(`Host \\"attacker.example:18080\\" is not a name of this server on 127\.0\.0\.1:[1-9]\d*: .*DNS rebinding.*--allow-host NAME`).MatchString(body) {
		t.Errorf("forged Host: %d %s", code, body)
	}
	if code, body := get(base, "localhost"); code != http.StatusOK {
		t.Errorf("Host localhost: %d %s", code, body)
	}
	stop()
	base, stop = startServe(t, "--db", db, "--host", s.URL(), "--allow-host", "search.example,other.example", "--allow-host", "third.example")
	defer stop()
	for _, h := range []string{"search.example", "other.example:80", "third.example"} {
		if code, body := get(base, h); code != http.StatusOK {
			t.Errorf("--allow-host, Host %q: %d %s", h, code, body)
		}
	}
	if code, _ := get(base, "attacker.example"); code != http.StatusMisdirectedRequest {
		t.Errorf("--allow-host, Host attacker.example: %d, want 421", code)
	}
}

// startServe runs salvo serve on a free port of 127.0.0.1 and returns its
// address and a stop that cancels it (Ctrl-C) and returns its exit code.
func startServe(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), Stdio{Out: io.Discard, Err: pw})
		pw.Close()
	}()
	stop = func() int {
		cancel()
		return <-done
	}
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		stop()
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if base == "" {
		stop()
		t.Fatalf("serve printed %q, want its 127.0.0.1 address", line)
	}
	t.Cleanup(func() { cancel() })
	return base, stop
}

// getJSON decodes the JSON answer of a GET into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
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
