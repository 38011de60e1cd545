package serve_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/serve"
)

// endpoints are every path the server answers, each with a request that
// succeeds under an allowed Host.
var endpoints = []string{
	"/",
	"/api/collections",
	"/api/search?collection=movies&k=2&q=Heist",
	"/api/similar/movies/7?k=2",
	"/api/similar?collection=movies&id=7&k=2",
	"/api/map/movies",
	"/api/map?collection=movies",
}

// getHost GETs path with the Host header host and returns the status and
// the body.
func getHost(t *testing.T, base, path, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// A page of another site that rebinds its name to 127.0.0.1 sends its own
// name in Host: every endpoint refuses it with 421 and says why, and
// answers the server's own names.
func TestForeignHostIsRefused(t *testing.T) {
	hs, _ := fixtureWith(t, serve.Options{AllowHosts: []string{"search.example.org,Other.Example", "third.example"}, HostHint: "HINT"})
	port := hs.URL[strings.LastIndexByte(hs.URL, ':'):]
	for _, path := range endpoints {
		for _, host := range []string{"attacker.example" + port, "attacker.example", "127.0.0.1.attacker.example" + port,
			"localhost.attacker.example", "search.example.org.evil" + port, "10.1.2.3" + port} {
			status, body := getHost(t, hs.URL, path, host)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Errorf("GET %s with Host %q: %d, body %.100q is not JSON", path, host, status, body)
				continue
			}
			if status != http.StatusMisdirectedRequest || !strings.Contains(e.Error, "DNS rebinding") ||
				!strings.Contains(e.Error, "localhost, 127.0.0.1, ::1") || !strings.HasSuffix(e.Error, "; HINT") ||
				host != "" && !strings.Contains(e.Error, `"`+host+`"`) {
				t.Errorf("GET %s with Host %q: %d %q, want 421 naming the host, the allowed names and the hint", path, host, status, e.Error)
			}
		}
		for _, host := range []string{"127.0.0.1" + port, "127.0.0.1", "localhost" + port, "LOCALHOST.", "[::1]" + port, "[::1]",
			"127.9.8.7", "app.localhost" + port, "search.example.org" + port, "other.example", "third.example."} {
			if status, body := getHost(t, hs.URL, path, host); status != http.StatusOK {
				t.Errorf("GET %s with Host %q: %d %.200s, want 200", path, host, status, body)
			}
		}
	}
}

// The host of Addr is answered; "*" turns the check off.
func TestHostOfAddr(t *testing.T) {
	hs, _ := fixtureWith(t, serve.Options{Addr: "catalog.lan:8080"})
	for _, tc := range []struct {
		host   string
		status int
	}{{"catalog.lan:8080", 200}, {"Catalog.LAN", 200}, {"catalog.lan.evil", 421}, {"lan", 421}} {
		if status, body := getHost(t, hs.URL, "/api/collections", tc.host); status != tc.status {
			t.Errorf("Addr catalog.lan:8080, Host %q: %d %.200s, want %d", tc.host, status, body, tc.status)
		} else if status == 421 && !strings.Contains(body, "on catalog.lan:8080") {
			t.Errorf("Addr catalog.lan:8080, Host %q: %s does not name the address", tc.host, body)
		}
	}
	name, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080"} {
		hs, _ = fixtureWith(t, serve.Options{Addr: addr})
		for _, tc := range []struct {
			host   string
			status int
		}{{name + ":8080", 200}, {"localhost", 200}, {"attacker.example", 421}} {
			if status, body := getHost(t, hs.URL, "/api/collections", tc.host); status != tc.status {
				t.Errorf("Addr %s, Host %q: %d %.200s, want %d", addr, tc.host, status, body, tc.status)
			}
		}
	}
	hs, _ = fixtureWith(t, serve.Options{AllowHosts: []string{"*"}})
	if status, body := getHost(t, hs.URL, "/api/collections", "anything.example"); status != 200 {
		t.Errorf(`AllowHosts "*": %d %.200s, want 200`, status, body)
	}
}
