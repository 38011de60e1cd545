package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/cmd/salvo/internal/fleet"
)

// realOllamaBinary is the Ollama that scripts/real-ollama.sh built, and the
// model store its servers share; it skips the test when there is none, and
// fails it in CI, where scripts/test.sh builds it.
func realOllamaBinary(t *testing.T) (bin, models string) {
	t.Helper()
	cache := os.Getenv("SALVO_CACHE_DIR")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(base, "salvo")
	}
	bins, _ := filepath.Glob(filepath.Join(cache, "ollama-*", "bin", "ollama"))
	if len(bins) == 0 {
		msg := "no Ollama built in " + cache + ": run scripts/real-ollama.sh build (or scripts/test.sh, which does it)"
		if os.Getenv("CI") == "true" && os.Getenv("SALVO_SKIP_REAL_OLLAMA") == "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bins[0], filepath.Join(cache, "serve", "models")
}

// freeBase finds n free consecutive loopback ports.
func freeBase(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(30000)
		ok := true
		for i := range n {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

// A fleet of two real Ollama servers: up prints OLLAMA_HOST, which --host
// and the environment take as they are; embed spreads the work over both,
// each loading the model once with its num_thread; status sees both up;
// down stops exactly them and removes the state.
func TestRealFleet(t *testing.T) {
	_, model := realServer(t)
	bin, models := realOllamaBinary(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("OLLAMA_MODELS", models)
	statePath := filepath.Join(state, "salvo", "fleet.json")
	t.Cleanup(func() {
		if st, _ := fleet.Load(statePath); st != nil {
			st.Stop()
		}
	})

	base := freeBase(t, 2)
	up := salvo(t, "fleet", "up", "--instances", "2", "--pin", "--base-port", fmt.Sprint(base), "--ollama", bin)
	if up.code != cli.ExitOK {
		t.Fatalf("fleet up: exit %d\n%s", up.code, up.err)
	}
	want := fmt.Sprintf("OLLAMA_HOST=127.0.0.1:%d,127.0.0.1:%d\n", base, base+1)
	if up.out != want {
		t.Fatalf("fleet up printed %q, want %q", up.out, want)
	}
	if !strings.Contains(up.err, "options.num_thread") || !strings.Contains(up.err, "pinned") {
		t.Errorf("fleet up does not say how the cores are shared:\n%s", up.err)
	}
	st, err := fleet.Load(statePath)
	if err != nil || st == nil || len(st.Running()) != 2 {
		t.Fatalf("state %+v, %v: want 2 running instances", st, err)
	}
	// Pinned to disjoint CPUs (when there are two cores to give).
	if len(fleet.Cores()) >= 2 {
		a, err1 := fleet.Affinity(st.Instances[0])
		b, err2 := fleet.Affinity(st.Instances[1])
		if err1 != nil || err2 != nil || len(a) == 0 || len(b) == 0 || overlap(a, b) {
			t.Errorf("affinities %v (%v) and %v (%v): want two disjoint sets", a, err1, b, err2)
		}
	}

	hosts := strings.TrimSpace(strings.TrimPrefix(up.out, "OLLAMA_HOST="))
	in := movies(t, 40)
	dir := t.TempDir()
	// One request in flight per host and small batches: while one host
	// answers, the other takes the next batch, so both get work.
	s, r := embedOK(t, in, "--host", hosts, "--model", model, "--db", filepath.Join(dir, "a.db"), "--text", moviesTemplate, "--concurrency", "1", "--batch-size", "4")
	if s.Read != 40 || s.Embedded+s.Cached != 40 || s.Failed != 0 {
		t.Errorf("over --host %s: %+v, want 40 stored", hosts, s)
	}
	if !strings.Contains(r.err, "2 hosts of the fleet") {
		t.Errorf("embed does not say the fleet hosts get their num_thread:\n%s", r.err)
	}
	t.Setenv("OLLAMA_HOST", hosts) // the environment, commas and all
	if s, _ := embedOK(t, in, "--model", model, "--db", filepath.Join(dir, "b.db"), "--text", moviesTemplate, "--force"); s.Embedded+s.Cached != 40 {
		t.Errorf("over OLLAMA_HOST=%s: %+v, want 40 stored", hosts, s)
	}
	for _, in := range st.Instances {
		log, err := os.ReadFile(in.Log)
		if err != nil {
			t.Fatal(err)
		}
		// Each took work, and loaded the model once, with its num_thread.
		if !strings.Contains(string(log), "/api/embed") {
			t.Errorf("%s got no /api/embed request (log %s)", in.Host, in.Log)
		}
		if n := strings.Count(string(log), "Operation:commit"); n != 1 {
			t.Errorf("%s loaded the model %d times, want once (log %s)", in.Host, n, in.Log)
		}
		if w := fmt.Sprintf("NumThreads:%d ", in.NumThread); !strings.Contains(string(log), w) {
			t.Errorf("%s: the model was not loaded with %s(log %s)", in.Host, w, in.Log)
		}
	}

	stat := salvo(t, "fleet", "status", "--json")
	var got struct {
		Hosts     string `json:"hosts"`
		Instances []struct {
			State string `json:"state"`
		} `json:"instances"`
	}
	if err := json.Unmarshal([]byte(stat.out), &got); err != nil || stat.code != cli.ExitOK || got.Hosts != hosts || len(got.Instances) != 2 || got.Instances[0].State != "up" || got.Instances[1].State != "up" {
		t.Errorf("fleet status: exit %d, %s (%v)\n%s", stat.code, stat.out, err, stat.err)
	}

	down := salvo(t, "fleet", "down")
	if down.code != cli.ExitOK || !strings.Contains(down.err, "stopped 2 fleet servers") {
		t.Errorf("fleet down: exit %d\n%s", down.code, down.err)
	}
	if left := st.Running(); len(left) != 0 {
		t.Errorf("still running after down: %+v", left)
	}
	if _, err := os.Stat(statePath); !os.IsNotExist(err) {
		t.Errorf("state file left behind: %v", err)
	}
	// Nothing listens any more.
	for _, in := range st.Instances {
		if c, err := net.DialTimeout("tcp", in.Host, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after down", in.Host)
		}
	}
}

func overlap(a, b []int) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
