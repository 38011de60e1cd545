package fleet

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Plan is how many instances to start and how to share the machine.
type Plan struct {
	Instances int
	// NumThread is each instance's share of the cores, sent by clients as
	// options.num_thread.
	NumThread int
	// CPUs are the logical CPUs of each instance when they are pinned.
	CPUs [][]int
	// GPUs are each instance's CUDA_VISIBLE_DEVICES ("" for none).
	GPUs   []string
	Reason string // why, in a sentence
}

// PlanFor shares cores (each a physical core's logical CPUs, see Cores)
// and gpus (see GPUs) between n instances; n = 0 picks the count: one per
// GPU when there are GPUs, else one per core up to MaxAuto.
func PlanFor(n int, cores [][]int, gpus []string) (Plan, error) {
	if len(cores) == 0 {
		cores = [][]int{{0}}
	}
	p := Plan{Instances: n}
	coresSaid := plural(len(cores), "core", "cores")
	switch {
	case n < 0:
		return p, fmt.Errorf("--instances %d: use a positive number or auto", n)
	case n == 0 && len(gpus) > 0:
		p.Instances = len(gpus)
		p.Reason = fmt.Sprintf("auto: %s, %s: one instance per GPU", plural(len(gpus), "GPU", "GPUs"), coresSaid)
	case n == 0:
		p.Instances = min(len(cores), MaxAuto)
		p.Reason = fmt.Sprintf("auto: %s and no GPU: one instance per core", coresSaid)
		if len(cores) > MaxAuto {
			p.Reason = fmt.Sprintf("auto: %s and no GPU: %d instances (more cost a copy of the model each for little gain)", coresSaid, MaxAuto)
		}
	default:
		p.Reason = fmt.Sprintf("--instances %d on %s", n, coresSaid)
	}
	p.NumThread = max(1, len(cores)/p.Instances)
	if p.Instances > len(cores) {
		p.Reason += fmt.Sprintf("; more instances than cores: they share them, with num_thread 1 each")
	}
	p.CPUs = make([][]int, p.Instances)
	p.GPUs = make([]string, p.Instances)
	for i := range p.Instances {
		if p.Instances <= len(cores) {
			for _, c := range cores[i*p.NumThread : (i+1)*p.NumThread] {
				p.CPUs[i] = append(p.CPUs[i], c...)
			}
		} else {
			p.CPUs[i] = append([]int(nil), cores[i%len(cores)]...)
		}
		if len(gpus) > 1 {
			p.GPUs[i] = gpus[i%len(gpus)]
		}
	}
	return p, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Cores lists the physical cores this process may run on, each as its
// logical CPUs (hyperthreads of one core share its arithmetic units, so
// they count as one core). Without the topology in /sys, each CPU is a core.
func Cores() [][]int {
	cpus := allowedCPUs()
	byCore := map[string][]int{}
	var keys []string
	for _, c := range cpus {
		dir := fmt.Sprintf("/sys/devices/system/cpu/cpu%d/topology", c)
		pkg, err1 := os.ReadFile(filepath.Join(dir, "physical_package_id"))
		core, err2 := os.ReadFile(filepath.Join(dir, "core_id"))
		key := "cpu" + strconv.Itoa(c)
		if err1 == nil && err2 == nil {
			key = strings.TrimSpace(string(pkg)) + "/" + strings.TrimSpace(string(core))
		}
		if _, ok := byCore[key]; !ok {
			keys = append(keys, key)
		}
		byCore[key] = append(byCore[key], c)
	}
	out := make([][]int, 0, len(keys))
	for _, k := range keys {
		out = append(out, byCore[k])
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// GPUs lists the NVIDIA GPUs by index, from `nvidia-smi -L`; none when
// nvidia-smi is missing or fails.
func GPUs(ctx context.Context) []string {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-L").Output()
	if err != nil {
		return nil
	}
	return parseGPUs(string(out))
}

// parseGPUs reads `nvidia-smi -L`: "GPU 0: NVIDIA A100 (UUID: GPU-…)".
func parseGPUs(out string) []string {
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "GPU ")
		if !ok {
			continue
		}
		idx, _, ok := strings.Cut(rest, ":")
		if _, err := strconv.Atoi(idx); ok && err == nil {
			ids = append(ids, idx)
		}
	}
	return ids
}
