package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// instance is a private Ollama server started through scripts/real-ollama.sh
// with SALVO_OLLAMA_INSTANCE, so a test can configure, kill and restart it
// without disturbing the shared one. It serves the same fixture model.
type instance struct {
	t     *testing.T
	name  string   // SALVO_OLLAMA_INSTANCE
	env   []string // extra environment for `ollama serve`
	Host  string   // 127.0.0.1:PORT
	Model string
}

// startInstance starts a private server (env such as OLLAMA_MAX_QUEUE=1 is
// passed to `ollama serve`) and stops it when the test ends, failed or not.
// It skips the test when no real Ollama is configured.
func startInstance(t *testing.T, name string, env ...string) *instance {
	t.Helper()
	realServer(t) // the same switch as the shared server's tests
	// The process ID keeps concurrent `go test` runs on one machine apart.
	in := &instance{t: t, name: fmt.Sprintf("e2e-%d-%s", os.Getpid(), name), env: env}
	t.Cleanup(in.cleanup)
	in.up("")
	return in
}

// serveDir is the instance's folder, as scripts/real-ollama.sh computes it.
func (in *instance) serveDir() string {
	cache := os.Getenv("SALVO_CACHE_DIR")
	if cache == "" {
		base, err := os.UserCacheDir() // $XDG_CACHE_HOME, else ~/.cache, as the script
		if err != nil {
			in.t.Fatal(err)
		}
		cache = filepath.Join(base, "salvo")
	}
	return filepath.Join(cache, "serve-"+in.name)
}

// script runs scripts/real-ollama.sh cmd for this instance.
func (in *instance) script(cmd string, env ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot(in.t), "scripts", "real-ollama.sh"), cmd)
	c.Env = append(append(append(os.Environ(), "SALVO_OLLAMA_INSTANCE="+in.name), in.env...), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("scripts/real-ollama.sh %s (SALVO_OLLAMA_INSTANCE=%s): %v\n%s", cmd, in.name, err, stderr.String())
	}
	return stdout.String(), nil
}

// up starts the server, on port when it is not empty.
func (in *instance) up(port string) {
	in.t.Helper()
	var env []string
	if port != "" {
		env = append(env, "SALVO_OLLAMA_PORT="+port)
	}
	start := time.Now()
	out, err := in.script("up", env...)
	in.t.Logf("instance %s: up in %v", in.name, time.Since(start).Round(time.Millisecond))
	if err != nil {
		in.t.Fatal(err)
	}
	for line := range strings.Lines(out) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "OLLAMA_HOST":
			in.Host = v
		case "SALVO_TEST_MODEL":
			in.Model = v
		}
	}
	if in.Host == "" || in.Model == "" {
		in.t.Fatalf("scripts/real-ollama.sh up printed %q: want OLLAMA_HOST=... and SALVO_TEST_MODEL=...", out)
	}
}

// kill ends the server and its model runner with SIGKILL, as a crash would.
func (in *instance) kill() {
	in.t.Helper()
	b, err := os.ReadFile(filepath.Join(in.serveDir(), "ollama.pid"))
	if err != nil {
		in.t.Fatalf("pid file of instance %s: %v", in.name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		in.t.Fatalf("pid file of instance %s holds %q", in.name, b)
	}
	// The script starts the server with setsid: it leads its own process
	// group, which holds the runner too.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		in.t.Fatalf("kill -9 -%d (instance %s): %v", pid, in.name, err)
	}
	waitFor(in.t, "the killed server to stop answering", 30*time.Second, func() (bool, error) {
		c, err := net.DialTimeout("tcp", in.Host, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil, nil
	})
}

// restart starts the server again on the same port.
func (in *instance) restart() {
	in.t.Helper()
	_, port, err := net.SplitHostPort(in.Host)
	if err != nil {
		in.t.Fatal(err)
	}
	old := in.Host
	in.up(port)
	if in.Host != old {
		in.t.Fatalf("restarted on %s, want %s", in.Host, old)
	}
}

func (in *instance) cleanup() {
	if _, err := in.script("down"); err != nil {
		in.t.Error(err)
	}
	dir := in.serveDir()
	if in.t.Failed() {
		if b, err := os.ReadFile(filepath.Join(dir, "ollama.log")); err == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			in.t.Logf("last lines of the log of instance %s:\n%s", in.name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	}
	os.RemoveAll(dir)
}

// loaded lists the models the server holds in memory (GET /api/ps), with
// when each expires.
func loaded(t *testing.T, host string) map[string]time.Time {
	t.Helper()
	resp, err := http.Get("http://" + host + "/api/ps")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ps struct {
		Models []struct {
			Name      string    `json:"name"`
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"models"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/ps on %s: %d %v", host, resp.StatusCode, err)
	}
	m := map[string]time.Time{}
	for _, x := range ps.Models {
		m[x.Name] = x.ExpiresAt
	}
	return m
}
