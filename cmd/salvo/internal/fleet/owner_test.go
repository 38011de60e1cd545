package fleet

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// The listener of a port is this process's, and not its parent's.
func TestListenerOwner(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/net/tcp is Linux's")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if owns, known := listenerOwner(os.Getpid(), port); !owns || !known {
		t.Errorf("this process: owns %v, known %v; want both true", owns, known)
	}
	if owns, known := listenerOwner(os.Getppid(), port); owns || !known {
		t.Errorf("the parent process: owns %v, known %v; want false, true", owns, known)
	}
	l.Close()
	if _, known := listenerOwner(os.Getpid(), port); known {
		t.Errorf("a port nothing listens on: known")
	}
}

func TestParseListener(t *testing.T) {
	const listen = "   1: 0100007F:2CEC 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0"
	if ino, ok := parseListener(listen, 0x2CEC); !ok || ino != "123456" {
		t.Errorf("a listener on 11500: %q, %v", ino, ok)
	}
	if _, ok := parseListener(listen, 11501); ok {
		t.Error("another port matched")
	}
	if _, ok := parseListener(strings.Replace(listen, " 0A ", " 01 ", 1), 0x2CEC); ok {
		t.Error("an established connection matched")
	}
}

func FuzzParseListener(f *testing.F) {
	f.Add("   1: 0100007F:2CEC 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1", 11500)
	f.Add("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", 0)
	f.Add("0: :FFFF x 0A a b c d e f", 65535)
	f.Fuzz(func(t *testing.T, line string, port int) {
		ino, ok := parseListener(line, port)
		if !ok {
			return
		}
		f := strings.Fields(line)
		_, hex, _ := strings.Cut(f[1], ":")
		p, err := strconv.ParseUint(hex, 16, 16)
		if err != nil || int(p) != port || f[3] != "0A" || ino != f[9] {
			t.Errorf("%q: port %d, inode %q accepted (%s)", line, port, ino, fmt.Sprint(err))
		}
	})
}
