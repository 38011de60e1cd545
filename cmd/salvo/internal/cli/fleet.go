package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/fleet"
	"github.com/salvoembed/salvo/ollama"
	"github.com/spf13/pflag"
)

const fleetHelp = `Usage: salvo fleet up [--instances N|auto] [--base-port 11500] [--ollama PATH]
       salvo fleet status [--json]
       salvo fleet down

Runs several Ollama servers on this machine. Ollama embeds one input at a
time per server, so more servers are how salvo uses more of the machine.

up starts N 'ollama serve' processes on 127.0.0.1:BASE-PORT, BASE-PORT+1, …
sharing your model store ($OLLAMA_MODELS, else ~/.ollama/models), each with
OLLAMA_NUM_PARALLEL=1, its share of the cores, and on a machine with several
GPUs one GPU each (CUDA_VISIBLE_DEVICES). It prints OLLAMA_HOST=… on stdout
for salvo embed's --host (or the environment). The servers run until
'salvo fleet down', which stops exactly what up started; each logs to a file
beside the state file ($XDG_STATE_HOME/salvo, else ~/.local/state/salvo).

Each instance's share of the cores is its num_thread: salvo embed sends it
as options.num_thread with every request to a fleet host (--num-thread
overrides it). --pin also binds each instance to its own cores.

Examples:
  eval "$(salvo fleet up)"        # sets OLLAMA_HOST in this shell
  salvo embed movies.jsonl --text '{{.title}}: {{.summary}}'
  salvo fleet status
  salvo fleet down

Flags:
`

func runFleet(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdio.Out, strings.SplitN(fleetHelp, "\nFlags:", 2)[0])
			return nil
		}
		return usageError("salvo fleet needs up, status or down\nRun 'salvo fleet --help' for the details.")
	}
	path, err := fleet.StatePath(Getenv)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		return fleetUp(ctx, args[1:], path, stdio)
	case "status":
		return fleetStatus(ctx, args[1:], path, stdio)
	case "down":
		return fleetDown(args[1:], path, stdio)
	}
	return usageError("salvo fleet %s: unknown; use up, status or down", args[0])
}

func fleetUp(ctx context.Context, args []string, path string, stdio Stdio) error {
	fs := newFlagSet("fleet up", fleetHelp, stdio)
	var instances autoInt
	fs.Var(&instances, "instances", "Ollama servers to start, or auto: one per GPU, else one per core (at most 8)")
	basePort := fs.Int("base-port", fleet.DefaultBasePort, "the first instance's `PORT`; the others follow")
	ollamaBin := fs.String("ollama", "", "the ollama binary (default: ollama on $PATH)")
	models := fs.String("models", "", "model store `DIR` (default $OLLAMA_MODELS, else ~/.ollama/models)")
	pin := fs.Bool("pin", false, "bind each instance to its own cores (Linux), besides its num_thread")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the servers to answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("salvo fleet up takes no arguments (got %q)", fs.Args())
	}
	unlock, err := lockFleet(path, stdio)
	if err != nil {
		return err
	}
	defer unlock()
	if st, err := fleet.Load(path); err != nil {
		return err
	} else if st != nil && len(st.Running()) > 0 {
		if fs.Changed("instances") && int(instances) != 0 && int(instances) != len(st.Instances) {
			return fmt.Errorf("a fleet of %d instances is already up (%s): run 'salvo fleet down' first to start %d", len(st.Instances), path, instances)
		}
		fmt.Fprintf(stdio.Err, "salvo: the fleet is already up (%s)\n", path)
		describeFleet(stdio, st)
		fmt.Fprintf(stdio.Out, "OLLAMA_HOST=%s\n", st.Hosts())
		return nil
	}
	bin, err := findOllama(*ollamaBin)
	if err != nil {
		return err
	}
	store := *models
	if store == "" {
		store = Getenv("OLLAMA_MODELS")
	}
	if store == "" {
		home := Getenv("HOME")
		if home == "" {
			return usageError("no model store: pass --models DIR or set OLLAMA_MODELS")
		}
		store = filepath.Join(home, ".ollama", "models")
	}
	plan, err := fleet.PlanFor(int(instances), fleet.Cores(), fleet.GPUs(ctx))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "salvo: starting %d Ollama servers (%s)\n", plan.Instances, plan.Reason)
	st, err := fleet.Start(ctx, fleet.Config{
		Ollama: bin, Models: store, BasePort: *basePort, Plan: plan, Pin: *pin,
		LogDir: filepath.Dir(path), Env: os.Environ(), Timeout: *timeout,
	})
	if err != nil {
		return err
	}
	if err := st.Save(path); err != nil {
		st.Stop()
		return fmt.Errorf("saving the fleet's state: %w (the servers were stopped)", err)
	}
	describeFleet(stdio, st)
	fmt.Fprintf(stdio.Out, "OLLAMA_HOST=%s\n", st.Hosts())
	return nil
}

// lockFleet takes the state file's lock: one fleet up or down at a time.
func lockFleet(path string, stdio Stdio) (func(), error) {
	return fleet.Lock(path, func() {
		fmt.Fprintf(stdio.Err, "salvo: another 'salvo fleet up' or 'down' is running; waiting for it (%s.lock)\n", path)
	})
}

// describeFleet says on stderr what runs and how the cores are shared.
func describeFleet(stdio Stdio, st *fleet.State) {
	w := tabwriter.NewWriter(stdio.Err, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "       HOST\tPID\tNUM_THREAD\tCPUS\tGPU\tLOG")
	for _, in := range st.Instances {
		fmt.Fprintf(w, "       %s\t%d\t%s\t%s\t%s\t%s\n", in.Host, in.PID, orDash(in.NumThread), cpuList(in.CPUs), dash(in.GPU), in.Log)
	}
	w.Flush()
	shared := "not pinned (--pin binds each to its own cores)"
	if len(st.Instances) > 0 && len(st.Instances[0].CPUs) > 0 {
		shared = "each pinned to its CPUs"
	}
	if n := st.Instances[0].NumThread; n > 0 {
		fmt.Fprintf(stdio.Err, "       cores shared: salvo embed sends options.num_thread %d with every request to these hosts; %s\n", n, shared)
	}
	fmt.Fprintf(stdio.Err, "       models: %s; stop with 'salvo fleet down'\n", st.Models)
}

func orDash(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cpuList(cpus []int) string {
	if len(cpus) == 0 {
		return "-"
	}
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}

// findOllama resolves --ollama, or ollama on $PATH.
func findOllama(bin string) (string, error) {
	if bin == "" {
		p, err := exec.LookPath("ollama")
		if err != nil {
			return "", usageError("ollama is not on $PATH: install it (https://ollama.com/download) or pass --ollama PATH")
		}
		bin = p
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", usageError("--ollama %s: not an executable file", bin)
	}
	return abs, nil
}

// fleetInstance is one line of `salvo fleet status --json`.
type fleetInstance struct {
	Host      string `json:"host"`
	PID       int    `json:"pid"`
	State     string `json:"state"` // "up" (answers), "starting" (runs, does not answer), "stopped"
	NumThread int    `json:"num_thread,omitempty"`
	CPUs      []int  `json:"cpus,omitempty"`
	GPU       string `json:"gpu,omitempty"`
	Log       string `json:"log"`
}

func fleetStatus(ctx context.Context, args []string, path string, stdio Stdio) error {
	fs := newFlagSet("fleet status", fleetHelp, stdio)
	jsonOut := fs.Bool("json", false, `print {"hosts":"…","instances":[…]} as JSON`)
	st, err := parseAndLoad(fs, args, path)
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("no fleet: %s does not exist; start one with 'salvo fleet up'", path)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	var out []fleetInstance
	up := 0
	for _, in := range st.Instances {
		fi := fleetInstance{Host: in.Host, PID: in.PID, State: "stopped", NumThread: in.NumThread, CPUs: in.CPUs, GPU: in.GPU, Log: in.Log}
		if len(st.Running()) > 0 && st.Alive(in) {
			fi.State = "starting"
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.Host+"/api/version", nil)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					fi.State = "up"
					up++
				}
			}
		}
		out = append(out, fi)
	}
	if *jsonOut {
		b, _ := json.Marshal(map[string]any{"hosts": st.Hosts(), "since": st.Since, "reason": st.Reason, "models": st.Models, "instances": out})
		fmt.Fprintln(stdio.Out, string(b))
	} else {
		w := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "HOST\tSTATE\tPID\tNUM_THREAD\tCPUS\tGPU\tLOG")
		for _, fi := range out {
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", fi.Host, fi.State, fi.PID, orDash(fi.NumThread), cpuList(fi.CPUs), dash(fi.GPU), fi.Log)
		}
		w.Flush()
		fmt.Fprintf(stdio.Out, "OLLAMA_HOST=%s\n", st.Hosts())
	}
	if up < len(st.Instances) {
		return fmt.Errorf("%d of %d fleet servers answer (logs above); 'salvo fleet down' then 'salvo fleet up' restarts them", up, len(st.Instances))
	}
	return nil
}

// parseAndLoad parses a fleet command's flags and reads the fleet's state
// (nil when there is none).
func parseAndLoad(fs *pflag.FlagSet, args []string, path string) (*fleet.State, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError("unexpected arguments %q", fs.Args())
	}
	return fleet.Load(path)
}

func fleetDown(args []string, path string, stdio Stdio) error {
	st, err := parseAndLoad(newFlagSet("fleet down", fleetHelp, stdio), args, path)
	if err != nil {
		return err
	}
	if st != nil {
		// One up or down at a time; read the state again once it is ours.
		unlock, err := lockFleet(path, stdio)
		if err != nil {
			return err
		}
		defer unlock()
		if st, err = fleet.Load(path); err != nil {
			return err
		}
	}
	if st == nil {
		fmt.Fprintf(stdio.Err, "salvo: no fleet to stop (%s does not exist)\n", path)
		return nil
	}
	stopped := st.Stop()
	if left := st.Running(); len(left) > 0 {
		return fmt.Errorf("%d fleet servers still run (first: pid %d); the state stays in %s", len(left), left[0].PID, path)
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	if len(stopped) == len(st.Instances) {
		fmt.Fprintf(stdio.Err, "salvo: stopped %d fleet servers\n", len(stopped))
	} else {
		fmt.Fprintf(stdio.Err, "salvo: stopped %d fleet servers; %d had stopped already\n", len(stopped), len(st.Instances)-len(stopped))
	}
	return nil
}

// runningFleet is the fleet that salvo fleet up started, or nil when none
// runs.
func runningFleet() *fleet.State {
	path, err := fleet.StatePath(Getenv)
	if err != nil {
		return nil
	}
	st, err := fleet.Load(path)
	if err != nil || st == nil || len(st.Running()) == 0 {
		return nil
	}
	return st
}

// hostThreads is the options.num_thread each host is sent: --num-thread
// for every host, else a fleet host's share of the cores, else nothing (the
// model's own).
type hostThreads struct {
	flag  int
	fleet *fleet.State
	api   string
	mu    sync.Mutex
	used  map[string]int // fleet hosts given their share, for the message
	// unsent counts the fleet hosts that cannot be given it: /v1/embeddings
	// (--api openai) takes no options.
	unsent int
}

func newHostThreads(numThread int, api string) *hostThreads {
	t := &hostThreads{flag: numThread, api: api, used: map[string]int{}}
	if t.flag == 0 {
		t.fleet = runningFleet()
	}
	return t
}

func (t *hostThreads) of(host string) int {
	if t.flag > 0 {
		return t.flag
	}
	if t.fleet == nil {
		return 0
	}
	u, err := ollama.ParseHost(host)
	if err != nil {
		return 0
	}
	n := t.fleet.NumThread(u.Host)
	if n == 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.api == "openai" {
		t.unsent++
		return 0
	}
	t.used[u.Host] = n
	return n
}

func (t *hostThreads) options(host string) map[string]any {
	if n := t.of(host); n > 0 {
		return map[string]any{"num_thread": n}
	}
	return nil
}

// say tells which hosts get a num_thread from the fleet.
func (t *hostThreads) say(stdio Stdio, quiet bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.unsent > 0 && !quiet {
		fmt.Fprintln(stdio.Err, "salvo: warning: --api openai sends no num_thread to the fleet's hosts (/v1/embeddings takes no options), so each loads the model on every core and they compete for them; use --api auto or embed")
	}
	if quiet || len(t.used) == 0 {
		return
	}
	threads := map[int]bool{}
	for _, n := range t.used {
		threads[n] = true
	}
	what := "its share of the cores"
	if len(threads) == 1 {
		for n := range threads {
			what = fmt.Sprintf("num_thread %d", n)
		}
	}
	fmt.Fprintf(stdio.Err, "salvo: %s of the fleet (salvo fleet up): each gets options.num_thread with every request (%s; --num-thread N to change)\n",
		plural(int64(len(t.used)), "host"), what)
}
