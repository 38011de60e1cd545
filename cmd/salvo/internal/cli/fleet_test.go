package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo/cmd/salvo/internal/fleet"
	"github.com/salvoembed/salvo/ollamatest"
)

// optionsRecorder is an ollamatest server that remembers the path and the
// "options" of every embedding request.
type optionsRecorder struct {
	mu   sync.Mutex
	seen []string // "PATH OPTIONS-JSON"
	ts   *httptest.Server
}

func newOptionsRecorder(t *testing.T) *optionsRecorder {
	o := &optionsRecorder{}
	s := ollamatest.NewUnstarted(ollamatest.Config{})
	o.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "embed") {
			b, _ := io.ReadAll(r.Body)
			var req struct {
				Options json.RawMessage `json:"options"`
			}
			json.Unmarshal(b, &req)
			o.mu.Lock()
			o.seen = append(o.seen, r.URL.Path+" "+string(req.Options))
			o.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(o.ts.Close)
	return o
}

func (o *optionsRecorder) requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// withEnv replaces Getenv for the test.
func withEnv(t *testing.T, env map[string]string) {
	old := Getenv
	Getenv = func(k string) string { return env[k] }
	t.Cleanup(func() { Getenv = old })
}

// A host of the fleet gets its num_thread with every request (through
// /api/embed, since /v1/embeddings takes no options); other hosts get none;
// --num-thread applies to every host.
func TestFleetHostsGetTheirNumThread(t *testing.T) {
	inFleet, other := newOptionsRecorder(t), newOptionsRecorder(t)
	state := t.TempDir()
	withEnv(t, map[string]string{"XDG_STATE_HOME": state})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test process stands in for the instance's ollama: it is alive.
	st := &fleet.State{Ollama: self, Instances: []fleet.Instance{{Host: strings.TrimPrefix(inFleet.ts.URL, "http://"), PID: os.Getpid(), NumThread: 3}}}
	if err := st.Save(filepath.Join(state, "salvo", "fleet.json")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"text":"one"}`+"\n"+`{"id":2,"text":"two"}`+"\n")

	// The line salvo fleet up prints is a --host as it is.
	r := run(t, "", "embed", in, "--db", filepath.Join(dir, "a.db"), "--host", "OLLAMA_HOST="+st.Hosts()+","+other.ts.URL, "--batch-size", "1", "--concurrency", "1")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if !strings.Contains(r.err, "1 host of the fleet") || !strings.Contains(r.err, "num_thread 3") {
		t.Errorf("stderr does not say which hosts get a num_thread:\n%s", r.err)
	}
	for _, s := range inFleet.requests() {
		if s != `/api/embed {"num_thread":3}` {
			t.Errorf("fleet host got %q, want /api/embed with num_thread 3", s)
		}
	}
	for _, s := range other.requests() {
		if s != "/v1/embeddings " {
			t.Errorf("other host got %q, want /v1/embeddings without options", s)
		}
	}
	if len(inFleet.requests())+len(other.requests()) < 2 {
		t.Errorf("%d + %d requests for 2 texts", len(inFleet.requests()), len(other.requests()))
	}

	r = run(t, "", "embed", in, "--db", filepath.Join(dir, "b.db"), "--host", other.ts.URL, "--num-thread", "2", "--force")
	if r.code != ExitOK {
		t.Fatalf("--num-thread 2: exit %d: %s", r.code, r.err)
	}
	if got := other.requests(); got[len(got)-1] != `/api/embed {"num_thread":2}` {
		t.Errorf("--num-thread 2: the last request was %q", got[len(got)-1])
	}
	if r := run(t, "", "embed", in, "--host", other.ts.URL, "--api", "openai", "--num-thread", "2"); r.code != ExitFatal || !strings.Contains(r.err, "--num-thread needs --api") {
		t.Errorf("--api openai --num-thread: exit %d, %s", r.code, r.err)
	}
	// --api openai cannot give the fleet hosts their share, and says so.
	r = run(t, "", "embed", in, "--db", filepath.Join(dir, "c.db"), "--host", st.Hosts(), "--api", "openai", "--force")
	if r.code != ExitOK || !strings.Contains(r.err, "sends no num_thread") {
		t.Errorf("--api openai over the fleet: exit %d, %s", r.code, r.err)
	}
	if got := inFleet.requests(); got[len(got)-1] != "/v1/embeddings " {
		t.Errorf("--api openai over the fleet: the last request was %q", got[len(got)-1])
	}
}

// Without a fleet, status and down say so; a state file whose processes
// are gone is cleaned up by down, and nothing else is touched.
func TestFleetStatusAndDownWithoutServers(t *testing.T) {
	state := t.TempDir()
	withEnv(t, map[string]string{"XDG_STATE_HOME": state})
	if r := run(t, "", "fleet", "status"); r.code != ExitFatal || !strings.Contains(r.err, "salvo fleet up") {
		t.Errorf("status without a fleet: exit %d, %s", r.code, r.err)
	}
	if r := run(t, "", "fleet", "down"); r.code != ExitOK || !strings.Contains(r.err, "no fleet") {
		t.Errorf("down without a fleet: exit %d, %s", r.code, r.err)
	}
	path := filepath.Join(state, "salvo", "fleet.json")
	// PID 1 runs, but it is not the binary the fleet started.
	st := &fleet.State{Ollama: "/nonexistent/ollama", Instances: []fleet.Instance{{Host: "127.0.0.1:1", PID: 1}}}
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "fleet", "status", "--json"); r.code != ExitFatal || !strings.Contains(r.out, `"state":"stopped"`) {
		t.Errorf("status of a stopped fleet: exit %d, out %s, err %s", r.code, r.out, r.err)
	}
	if r := run(t, "", "fleet", "down"); r.code != ExitOK || !strings.Contains(r.err, "1 had stopped already") {
		t.Errorf("down of a stopped fleet: exit %d, %s", r.code, r.err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the state file is still there: %v", err)
	}
	for _, args := range [][]string{{"fleet"}, {"fleet", "sideways"}, {"fleet", "up", "--instances", "0"}, {"fleet", "up", "--ollama", "/nonexistent/ollama"}} {
		if r := run(t, "", args...); r.code != ExitFatal {
			t.Errorf("%q: exit %d, want %d", args, r.code, ExitFatal)
		}
	}
}
