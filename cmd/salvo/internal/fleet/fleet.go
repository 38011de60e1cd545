// Package fleet runs several `ollama serve` processes on one machine, each
// on its own loopback port, sharing the user's model store, and remembers
// them in one state file so that they can be listed and stopped later.
//
// Ollama runs an embedding model one input at a time, so one server keeps at
// most one evaluation busy: more servers are the way to use more of a
// machine. Servers that each use every core fight over them (four threads on
// two cores run ten times slower than two), so each instance gets its share
// of the cores: NumThread, which clients send with every request as
// options.num_thread (a load-time option: sending the same value every time
// loads the model once), and, with Config.Pin, a CPU affinity of its own.
//
// Start with [PlanFor] and [Start]; [Load] reads the state back and
// [State.Stop] stops exactly the processes that Start started.
package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/salvoembed/salvo/internal/base/atomicfile"
)

// Defaults.
const (
	DefaultBasePort = 11500
	// MaxAuto caps the instances "auto" starts without GPUs: beyond it each
	// instance costs a copy of the model in memory for little gain.
	MaxAuto = 8
)

// Instance is one `ollama serve` process of a fleet.
type Instance struct {
	Host string `json:"host"` // 127.0.0.1:PORT, as OLLAMA_HOST takes it
	PID  int    `json:"pid"`
	// Started is the process's start time in clock ticks since boot
	// (/proc/PID/stat), so that a recycled PID is never taken for it.
	Started   uint64 `json:"started_ticks,omitempty"`
	NumThread int    `json:"num_thread,omitempty"` // 0: the server decides
	CPUs      []int  `json:"cpus,omitempty"`       // pinned to these CPUs; none: not pinned
	GPU       string `json:"gpu,omitempty"`        // CUDA_VISIBLE_DEVICES
	Log       string `json:"log"`
}

// State is what `salvo fleet up` started.
type State struct {
	Ollama    string     `json:"ollama"` // the binary
	Models    string     `json:"models"` // OLLAMA_MODELS
	Since     time.Time  `json:"since"`
	Reason    string     `json:"reason"` // why this many instances
	Instances []Instance `json:"instances"`
}

// Hosts lists the instances' addresses, comma-separated, as OLLAMA_HOST and
// salvo's --host take them.
func (s *State) Hosts() string {
	hs := make([]string, len(s.Instances))
	for i, in := range s.Instances {
		hs[i] = in.Host
	}
	return strings.Join(hs, ",")
}

// NumThread returns the num_thread of the instance listening on host
// ("127.0.0.1:11500", with or without http://), or 0 when host is not one
// of the fleet's.
func (s *State) NumThread(host string) int {
	if s == nil {
		return 0
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "http://"), "/")
	if rest, ok := strings.CutPrefix(host, "localhost:"); ok {
		host = "127.0.0.1:" + rest
	}
	for _, in := range s.Instances {
		if in.Host == host {
			return in.NumThread
		}
	}
	return 0
}

// StatePath is the fleet's state file: $XDG_STATE_HOME/salvo/fleet.json,
// else ~/.local/state/salvo/fleet.json.
func StatePath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "salvo", "fleet.json"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no state directory: set XDG_STATE_HOME or HOME (%v)", err)
		}
	}
	return filepath.Join(home, ".local", "state", "salvo", "fleet.json"), nil
}

// Load reads the state file; a missing file is (nil, nil): no fleet.
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %v (if no fleet runs, remove the file)", path, err)
	}
	return &s, nil
}

// Save writes the state file atomically.
func (s *State) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// Alive reports whether in's process is still the ollama that was started:
// same PID, same start time, same binary.
func (s *State) Alive(in Instance) bool {
	if in.PID <= 0 {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", in.PID))
	if err != nil {
		return false
	}
	// A binary replaced on disk reads "PATH (deleted)".
	if exe != s.Ollama && !strings.HasPrefix(exe, s.Ollama+" ") {
		if real, err := filepath.EvalSymlinks(s.Ollama); err != nil || (exe != real && !strings.HasPrefix(exe, real+" ")) {
			return false
		}
	}
	if in.Started != 0 {
		t, err := startTicks(in.PID)
		if err != nil || t != in.Started {
			return false
		}
	}
	return true
}

// startTicks reads a process's start time (field 22 of /proc/PID/stat).
func startTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	t, ok := parseStartTicks(string(b))
	if !ok {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return t, nil
}

// parseStartTicks reads field 22 of a /proc/PID/stat line. The command
// name (field 2) may hold spaces and parentheses, so fields are counted
// from the last ')'.
func parseStartTicks(s string) (uint64, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, false
	}
	t, err := strconv.ParseUint(f[19], 10, 64) // field 22 is the 20th after the name
	return t, err == nil
}
