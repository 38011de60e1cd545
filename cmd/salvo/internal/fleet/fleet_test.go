package fleet

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPlanFor(t *testing.T) {
	two := [][]int{{0}, {1}}
	eight := [][]int{{0, 8}, {1, 9}, {2, 10}, {3, 11}, {4, 12}, {5, 13}, {6, 14}, {7, 15}}
	var sixteen [][]int
	for i := range 16 {
		sixteen = append(sixteen, []int{i})
	}
	for _, tc := range []struct {
		name      string
		n         int
		cores     [][]int
		gpus      []string
		instances int
		threads   int
		cpus      [][]int
		gpuOf     []string
		reason    string
	}{
		{"auto on 2 cores", 0, two, nil, 2, 1, [][]int{{0}, {1}}, []string{"", ""}, "one instance per core"},
		{"auto on 8 hyperthreaded cores", 0, eight, nil, 8, 1, eight, make([]string, 8), "one instance per core"},
		{"auto on 16 cores caps at 8, 2 threads each", 0, sixteen, nil, 8, 2, [][]int{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15}}, make([]string, 8), "8 instances"},
		{"auto with 2 GPUs", 0, eight, []string{"0", "1"}, 2, 4, [][]int{{0, 8, 1, 9, 2, 10, 3, 11}, {4, 12, 5, 13, 6, 14, 7, 15}}, []string{"0", "1"}, "one instance per GPU"},
		{"4 on 2 GPUs round-robin", 4, eight, []string{"0", "1"}, 4, 2, [][]int{{0, 8, 1, 9}, {2, 10, 3, 11}, {4, 12, 5, 13}, {6, 14, 7, 15}}, []string{"0", "1", "0", "1"}, "--instances 4"},
		{"one GPU is shared, not assigned", 2, two, []string{"0"}, 2, 1, [][]int{{0}, {1}}, []string{"", ""}, "--instances 2"},
		{"more instances than cores", 3, two, nil, 3, 1, [][]int{{0}, {1}, {0}}, []string{"", "", ""}, "more instances than cores"},
		{"one instance takes every core", 1, two, nil, 1, 2, [][]int{{0, 1}}, []string{""}, "--instances 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanFor(tc.n, tc.cores, tc.gpus)
			if err != nil {
				t.Fatal(err)
			}
			if p.Instances != tc.instances || p.NumThread != tc.threads {
				t.Errorf("%d instances × num_thread %d, want %d × %d", p.Instances, p.NumThread, tc.instances, tc.threads)
			}
			if !reflect.DeepEqual(p.CPUs, tc.cpus) {
				t.Errorf("CPUs %v, want %v", p.CPUs, tc.cpus)
			}
			if !reflect.DeepEqual(p.GPUs, tc.gpuOf) {
				t.Errorf("GPUs %q, want %q", p.GPUs, tc.gpuOf)
			}
			if !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", p.Reason, tc.reason)
			}
		})
	}
	if _, err := PlanFor(-1, two, nil); err == nil {
		t.Error("PlanFor(-1) did not fail")
	}
}

func TestParseGPUs(t *testing.T) {
	out := "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1a2b)\nGPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-3c4d)\n  MIG 1g.10gb Device 0: (UUID: MIG-x)\nNo devices found\n"
	if got := parseGPUs(out); !reflect.DeepEqual(got, []string{"0", "1"}) {
		t.Errorf("parseGPUs = %q, want [0 1]", got)
	}
}

func FuzzParseGPUs(f *testing.F) {
	f.Add("GPU 0: NVIDIA A100 (UUID: GPU-1)\nGPU 1: x\n")
	f.Add("GPU : x\nGPU 12:\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range parseGPUs(s) {
			if id == "" || strings.TrimLeft(id, "+-0123456789") != "" {
				t.Errorf("parseGPUs(%q) gave %q, not an index", s, id)
			}
		}
	})
}

func TestStateRoundTripAndHosts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "salvo", "fleet.json")
	if s, err := Load(path); s != nil || err != nil {
		t.Fatalf("Load of a missing file = %v, %v; want nil, nil", s, err)
	}
	s := &State{Ollama: "/bin/ollama", Models: "/m", Instances: []Instance{
		{Host: "127.0.0.1:11500", PID: 10, NumThread: 1, CPUs: []int{0}, Log: "a"},
		{Host: "127.0.0.1:11501", PID: 11, NumThread: 2, Log: "b"},
	}}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("Load = %+v, %v; want %+v", got, err, s)
	}
	if h := got.Hosts(); h != "127.0.0.1:11500,127.0.0.1:11501" {
		t.Errorf("Hosts = %q", h)
	}
	for host, want := range map[string]int{
		"127.0.0.1:11500": 1, "http://127.0.0.1:11501/": 2, "localhost:11501": 2,
		"127.0.0.1:11502": 0, "10.0.0.1:11500": 0,
	} {
		if n := got.NumThread(host); n != want {
			t.Errorf("NumThread(%q) = %d, want %d", host, n, want)
		}
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "remove the file") {
		t.Errorf("Load of a broken file: %v; want an error saying what to do", err)
	}
}

func TestStatePath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if p, _ := StatePath(env(map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"})); p != "/s/salvo/fleet.json" {
		t.Errorf("with XDG_STATE_HOME: %s", p)
	}
	if p, _ := StatePath(env(map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/h"})); p != "/h/.local/state/salvo/fleet.json" {
		t.Errorf("with a relative XDG_STATE_HOME (ignored, as the spec says): %s", p)
	}
}

// Alive tells the process that was started from a recycled PID: another
// binary, or the same binary started at another time.
func TestAliveChecksBinaryAndStartTime(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	sleep, _ = filepath.EvalSymlinks(sleep)
	cmd := exec.Command(sleep, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ticks, err := startTicks(cmd.Process.Pid)
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	in := Instance{PID: cmd.Process.Pid, Started: ticks}
	if s := (&State{Ollama: sleep}); !s.Alive(in) {
		t.Error("the process that was started is not alive")
	}
	if s := (&State{Ollama: "/usr/bin/other"}); s.Alive(in) {
		t.Error("a process of another binary is taken for the instance")
	}
	in.Started++
	if s := (&State{Ollama: sleep}); s.Alive(in) {
		t.Error("a process started at another time is taken for the instance")
	}
}

func TestCoresCoverEveryAllowedCPU(t *testing.T) {
	n := 0
	for _, c := range Cores() {
		if len(c) == 0 {
			t.Error("a core without CPUs")
		}
		n += len(c)
	}
	if n != len(allowedCPUs()) {
		t.Errorf("cores hold %d CPUs, %d are allowed", n, len(allowedCPUs()))
	}
}

func TestParseStartTicks(t *testing.T) {
	line := "4242 (ollama (serve) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 12 0 987654 1234 56 18446744073709551615\n"
	if got, ok := parseStartTicks(line); !ok || got != 987654 {
		t.Errorf("parseStartTicks = %d, %v; want 987654", got, ok)
	}
	for _, bad := range []string{"", "4242 (x", "4242 (x) S 1 2", "4242 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 12 0 notanumber"} {
		if _, ok := parseStartTicks(bad); ok {
			t.Errorf("parseStartTicks(%q) accepted it", bad)
		}
	}
}

func FuzzParseStartTicks(f *testing.F) {
	f.Add("1 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0")
	f.Add("1 (a) b) S")
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseStartTicks(s)
		if !ok && v != 0 {
			t.Errorf("parseStartTicks(%q) = %d with ok false", s, v)
		}
	})
}
