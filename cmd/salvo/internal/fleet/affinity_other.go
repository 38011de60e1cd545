//go:build !linux

package fleet

import (
	"errors"
	"os/exec"
)

func allowedCPUs() []int { return seqCPUs() }

func startPinned(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) > 0 {
		return errors.New("--pin works on Linux only")
	}
	return cmd.Start()
}

func affinityOf(int) ([]int, error) { return nil, errors.ErrUnsupported }
