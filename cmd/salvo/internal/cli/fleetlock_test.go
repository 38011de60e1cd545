package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/salvoembed/salvo/cmd/salvo/internal/fleet"
	"github.com/salvoembed/salvo/ollamatest"
)

// fakeOllamaVar makes the test binary an `ollama serve`: an ollamatest
// server on $OLLAMA_HOST. Its value marks the processes of one test.
const fakeOllamaVar = "SALVO_TEST_FAKE_OLLAMA"

// fakeOllamaMain serves as ollama when fakeOllamaVar is set, and never
// returns then; TestMain calls it first.
func fakeOllamaMain() {
	if os.Getenv(fakeOllamaVar) == "" || len(os.Args) < 2 || os.Args[1] != "serve" {
		return
	}
	l, err := net.Listen("tcp", os.Getenv("OLLAMA_HOST"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake ollama:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, http.Serve(l, ollamatest.NewUnstarted(ollamatest.Config{})))
	os.Exit(1)
}

// markedProcesses are the PIDs whose environment holds fakeOllamaVar=mark.
func markedProcesses(t *testing.T, mark string) []int {
	t.Helper()
	ds, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, d := range ds {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte(fakeOllamaVar+"="+mark+"\x00")) && !fleet.Zombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// freePorts finds n free consecutive loopback ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for base := 20000 + os.Getpid()%20000; base < 65000; base += n + 7 {
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

// Two `salvo fleet up` at once: one starts the fleet, the other waits for
// it and finds it up; every server that runs is in the state file, and
// `fleet down` stops them all: no orphan.
func TestFleetUpTwiceAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts processes through /proc")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprint(os.Getpid(), "-", t.Name())
	t.Setenv(fakeOllamaVar, mark) // the servers inherit it
	t.Cleanup(func() {
		for _, pid := range markedProcesses(t, mark) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	state := t.TempDir()
	withEnv(t, map[string]string{"XDG_STATE_HOME": state})
	base := freePorts(t, 2)
	args := []string{"fleet", "up", "--ollama", self, "--instances", "2", "--base-port", fmt.Sprint(base), "--models", t.TempDir(), "--timeout", "1m"}
	var wg sync.WaitGroup
	res := make([]result, 2)
	for i := range res {
		wg.Go(func() { res[i] = run(t, "", args...) })
	}
	wg.Wait()
	want := fmt.Sprintf("OLLAMA_HOST=127.0.0.1:%d,127.0.0.1:%d\n", base, base+1)
	for i, r := range res {
		if r.code != ExitOK || r.out != want {
			t.Errorf("fleet up %d: exit %d, out %q, err %s; want 0 and %q", i, r.code, r.out, r.err, want)
		}
	}
	if !strings.Contains(res[0].err+res[1].err, "already up") {
		t.Errorf("neither fleet up found the other's fleet:\n%s\n%s", res[0].err, res[1].err)
	}
	st, err := fleet.Load(filepath.Join(state, "salvo", "fleet.json"))
	if err != nil || st == nil {
		t.Fatalf("state: %v, %v", st, err)
	}
	running := markedProcesses(t, mark)
	if len(st.Running()) != 2 || len(running) != 2 {
		t.Errorf("%d servers run (%v), the state file knows %d running of %+v; want the same 2", len(running), running, len(st.Running()), st.Instances)
	}
	if r := run(t, "", "fleet", "down"); r.code != ExitOK {
		t.Errorf("fleet down: exit %d, %s", r.code, r.err)
	}
	if left := markedProcesses(t, mark); len(left) != 0 {
		t.Errorf("after fleet down, servers still run: %v", left)
	}
}
