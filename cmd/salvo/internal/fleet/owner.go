package fleet

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// listenerOwner reports whether process pid holds the socket that listens
// on TCP port: the instance that answers on its port must be the one this
// process started, not another that took the port first. known is false
// when /proc cannot tell (not Linux, or no such listener yet).
func listenerOwner(pid, port int) (owns, known bool) {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		for _, ino := range listeners(table, port) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return false, false
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, !os.IsPermission(err) // gone: not the owner; not ours to read: unknown
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/" + fd.Name())
		if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok && inodes[strings.TrimSuffix(ino, "]")] {
			return true, true
		}
	}
	return false, true
}

// listeners returns the inodes of the sockets of a /proc/net/tcp table
// that listen on port.
func listeners(table string, port int) []string {
	f, err := os.Open(table)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		if ino, ok := parseListener(sc.Text(), port); ok {
			out = append(out, ino)
		}
	}
	return out
}

// parseListener reads one line of /proc/net/tcp: the socket's inode when
// it listens (state 0A) on port.
func parseListener(line string, port int) (string, bool) {
	f := strings.Fields(line)
	if len(f) < 10 || f[3] != "0A" {
		return "", false
	}
	_, hex, ok := strings.Cut(f[1], ":")
	if !ok {
		return "", false
	}
	p, err := strconv.ParseUint(hex, 16, 16)
	if err != nil || int(p) != port {
		return "", false
	}
	return f[9], true
}
