package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Config says what Start starts.
type Config struct {
	Ollama   string   // the ollama binary
	Models   string   // OLLAMA_MODELS for every instance
	BasePort int      // instance i listens on 127.0.0.1:BasePort+i
	Plan     Plan     // see PlanFor
	Pin      bool     // bind each instance to Plan.CPUs[i]
	LogDir   string   // one log file per instance
	Env      []string // the environment to start from (os.Environ())
	// Timeout bounds the wait for every instance to answer; default 2 min.
	Timeout time.Duration
}

// Start starts the instances, detached in sessions of their own so that
// they outlive the caller, and waits until each answers. When one fails,
// those already started are stopped and the error quotes its log.
func Start(ctx context.Context, cfg Config) (*State, error) {
	if cfg.BasePort <= 0 {
		cfg.BasePort = DefaultBasePort
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if last := cfg.BasePort + cfg.Plan.Instances - 1; last > 65535 {
		return nil, fmt.Errorf("--base-port %d: %d instances would need ports up to %d", cfg.BasePort, cfg.Plan.Instances, last)
	}
	if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		return nil, err
	}
	s := &State{Ollama: cfg.Ollama, Models: cfg.Models, Since: time.Now().UTC().Truncate(time.Second), Reason: cfg.Plan.Reason}
	for i := range cfg.Plan.Instances {
		host := "127.0.0.1:" + strconv.Itoa(cfg.BasePort+i)
		if err := portFree(host); err != nil {
			s.Stop()
			return nil, fmt.Errorf("%s is taken (%v): stop what listens there, or choose other ports with --base-port", host, err)
		}
		in, err := startOne(cfg, i, host)
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.Instances = append(s.Instances, in)
	}
	deadline := time.Now().Add(cfg.Timeout)
	for _, in := range s.Instances {
		if err := s.await(ctx, in, deadline); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

func startOne(cfg Config, i int, host string) (Instance, error) {
	in := Instance{Host: host, NumThread: cfg.Plan.NumThread, GPU: cfg.Plan.GPUs[i],
		Log: filepath.Join(cfg.LogDir, "ollama-"+strings.ReplaceAll(host[strings.LastIndexByte(host, ':')+1:], "/", "")+".log")}
	if cfg.Pin {
		in.CPUs = cfg.Plan.CPUs[i]
	}
	logf, err := os.OpenFile(in.Log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return in, err
	}
	defer logf.Close() // the child holds its own copy
	env := setEnv(cfg.Env, "OLLAMA_HOST", host)
	env = setEnv(env, "OLLAMA_MODELS", cfg.Models)
	env = setEnv(env, "OLLAMA_NUM_PARALLEL", "1")
	// Several servers on one store must not prune each other's blobs at
	// start-up (a model being pulled or created through another).
	if !hasEnv(env, "OLLAMA_NOPRUNE") {
		env = setEnv(env, "OLLAMA_NOPRUNE", "1")
	}
	if in.GPU != "" {
		env = setEnv(env, "CUDA_VISIBLE_DEVICES", in.GPU)
	}
	cmd := exec.Command(cfg.Ollama, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // detached: no terminal signals, its own process group
	if err := startPinned(cmd, in.CPUs); err != nil {
		return in, fmt.Errorf("starting %s serve: %w", cfg.Ollama, err)
	}
	in.PID = cmd.Process.Pid
	if t, err := startTicks(in.PID); err == nil {
		in.Started = t
	}
	// Reaped here if it exits while this process runs; afterwards init
	// adopts it.
	go cmd.Wait()
	return in, nil
}

// await waits until in answers /api/version.
func (s *State) await(ctx context.Context, in Instance, deadline time.Time) error {
	client := &http.Client{Timeout: 2 * time.Second}
	port, _ := strconv.Atoi(in.Host[strings.LastIndexByte(in.Host, ':')+1:])
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.Host+"/api/version", nil)
		resp, err := client.Do(req)
		answered, foreign := false, false
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				// Only an answer of the process started here counts: another
				// that took the port first would be left running unknown.
				owns, known := listenerOwner(in.PID, port)
				if !known || owns {
					if s.Alive(in) && !Zombie(in.PID) {
						return nil
					}
				}
				answered, foreign = true, known && !owns
			}
		}
		if !s.Alive(in) || Zombie(in.PID) {
			if answered {
				return fmt.Errorf("another process answers on %s, and the ollama serve started there exited (log: %s): stop what listens there, or choose other ports with --base-port:\n%s", in.Host, in.Log, tail(in.Log, 15))
			}
			return fmt.Errorf("ollama serve on %s exited during start-up (log: %s):\n%s", in.Host, in.Log, tail(in.Log, 15))
		}
		if time.Now().After(deadline) {
			if foreign {
				return fmt.Errorf("another process answers on %s, not the ollama serve started there (PID %d, log: %s): stop what listens there, or choose other ports with --base-port", in.Host, in.PID, in.Log)
			}
			return fmt.Errorf("ollama serve on %s did not answer within the start-up timeout (log: %s):\n%s", in.Host, in.Log, tail(in.Log, 15))
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Stop stops every instance that is still the process Start started:
// SIGTERM to all, SIGKILL to those still there after 10 s, then whatever
// is left in their process groups (the model runners). It returns the
// instances it stopped.
func (s *State) Stop() []Instance {
	var stopped []Instance
	for _, in := range s.Instances {
		if s.Alive(in) {
			syscall.Kill(in.PID, syscall.SIGTERM)
			stopped = append(stopped, in)
		}
	}
	running := func() bool {
		for _, in := range stopped {
			if s.Alive(in) && !Zombie(in.PID) {
				return true
			}
		}
		return false
	}
	for i := 0; i < 100 && running(); i++ {
		time.Sleep(100 * time.Millisecond) // polling a process that is not our child: nothing to wait on
	}
	for _, in := range stopped {
		if s.Alive(in) && !Zombie(in.PID) {
			syscall.Kill(in.PID, syscall.SIGKILL)
		}
		// The instance leads its own process group (Setsid): its runners.
		syscall.Kill(-in.PID, syscall.SIGKILL)
	}
	return stopped
}

// Zombie reports whether pid has exited but not been reaped (a child of
// this process, in tests).
func Zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// Running returns the instances that still run.
func (s *State) Running() []Instance {
	var out []Instance
	for _, in := range s.Instances {
		if s.Alive(in) && !Zombie(in.PID) {
			out = append(out, in)
		}
	}
	return out
}

// Affinity reads the CPUs an instance's process may run on.
func Affinity(in Instance) ([]int, error) { return affinityOf(in.PID) }

func portFree(host string) error {
	l, err := net.Listen("tcp", host)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return op.Err
		}
		return err
	}
	return l.Close()
}

func setEnv(env []string, k, v string) []string {
	out := make([]string, 0, len(env)+1)
	for _, e := range env {
		if !strings.HasPrefix(e, k+"=") {
			out = append(out, e)
		}
	}
	return append(out, k+"="+v)
}

func hasEnv(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

func seqCPUs() []int {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus
}
