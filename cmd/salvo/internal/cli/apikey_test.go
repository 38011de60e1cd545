package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// An API key goes only where the user meant it: with --api openai
// ($OPENAI_API_KEY), or when named for salvo ($SALVO_API_KEY, --api-key-env).
// With --api auto a developer's $OPENAI_API_KEY never reaches an Ollama.
// No key is ever printed.
func TestAPIKeyGoesOnlyWhereMeant(t *testing.T) {
	fake := ollamatest.New(ollamatest.Config{})
	t.Cleanup(fake.Close)
	var mu sync.Mutex
	var auth []string // Authorization headers of embedding requests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/version" && r.URL.Path != "/api/tags" && r.URL.Path != "/api/show" {
			mu.Lock()
			auth = append(auth, r.Header.Get("Authorization"))
			mu.Unlock()
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	const devKey, salvoKey, namedKey = "sk-developer-openai-key", "salvo-key-123", "named-key-456"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the Authorization header of every embedding request
	}{
		{"auto never sends OPENAI_API_KEY", map[string]string{"OPENAI_API_KEY": devKey}, nil, ""},
		{"auto on /api/embed neither", map[string]string{"OPENAI_API_KEY": devKey}, []string{"--api", "embed"}, ""},
		{"--api openai sends OPENAI_API_KEY", map[string]string{"OPENAI_API_KEY": devKey}, []string{"--api", "openai"}, "Bearer " + devKey},
		{"SALVO_API_KEY is meant for salvo", map[string]string{"OPENAI_API_KEY": devKey, "SALVO_API_KEY": salvoKey}, nil, "Bearer " + salvoKey},
		{"--api-key-env names the variable", map[string]string{"OPENAI_API_KEY": devKey, "SALVO_API_KEY": salvoKey, "MY_KEY": namedKey}, []string{"--api-key-env", "MY_KEY"}, "Bearer " + namedKey},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := Getenv
			Getenv = func(k string) string { return tt.env[k] }
			t.Cleanup(func() { Getenv = old })
			mu.Lock()
			auth = nil
			mu.Unlock()
			dir := t.TempDir()
			in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one `+tt.name+`"}`+"\n"+`{"id":2,"text":"two"}`+"\n")
			r := run(t, "", append([]string{"embed", in, "--host", srv.URL, "--db", filepath.Join(dir, "m.db"), "--json"}, tt.args...)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			mu.Lock()
			got := append([]string(nil), auth...)
			mu.Unlock()
			if len(got) == 0 {
				t.Fatalf("case %d: no embedding request reached the server", i)
			}
			for _, h := range got {
				if h != tt.want {
					t.Errorf("Authorization %q, want %q", h, tt.want)
				}
			}
			for _, k := range []string{devKey, salvoKey, namedKey} {
				if strings.Contains(r.out+r.err, k) {
					t.Errorf("a key is printed:\n%s%s", r.out, r.err)
				}
			}
		})
	}

	old := Getenv
	Getenv = func(string) string { return "" }
	t.Cleanup(func() { Getenv = old })
	r := run(t, "", "embed", writeFile(t, t.TempDir(), "m.jsonl", `{"id":1,"text":"x"}`+"\n"), "--host", srv.URL, "--api-key-env", "NOPE_KEY")
	if r.code != ExitFatal || !strings.Contains(r.err, "$NOPE_KEY is empty or not set") {
		t.Errorf("--api-key-env of an unset variable: exit %d %q", r.code, r.err)
	}
}
