package serve

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// hostCheck decides which Host headers a server answers. A page of another
// site can make a browser send requests to a local server under the
// attacker's own name (DNS rebinding): the browser then lets that page read
// the answers. Such a request carries the attacker's name in its Host
// header, so the server answers only names that are its own.
type hostCheck struct {
	any     bool            // "*" was allowed: no check
	names   map[string]bool // lower case, without port or trailing dot
	listen  string          // the listening address, for the message
	allowed []string        // the names, for the message
}

// newHostCheck allows the loopback names and IPs, the host of addr (when it
// names one; on an unspecified address such as 0.0.0.0 or ":8080", the
// machine's name and the IPs of its interfaces) and the names in allow.
func newHostCheck(addr string, allow []string) *hostCheck {
	h := &hostCheck{names: map[string]bool{}, listen: addr}
	add := func(name string) {
		name = normalHost(name)
		if name != "" && !h.names[name] {
			h.names[name] = true
			h.allowed = append(h.allowed, name)
		}
	}
	for _, n := range []string{"localhost", "127.0.0.1", "::1"} {
		add(n)
	}
	host := addr
	if hp, _, err := net.SplitHostPort(addr); err == nil {
		host = hp
	}
	host = normalHost(host)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil {
			add(name)
		}
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					add(n.IP.String())
				}
			}
		}
	} else {
		add(host)
	}
	for _, a := range allow {
		for _, n := range strings.Split(a, ",") {
			if strings.TrimSpace(n) == "*" {
				h.any = true
				continue
			}
			add(n)
		}
	}
	return h
}

// normalHost is a Host header's or address's name in lower case, without
// its port, brackets and trailing dot.
func normalHost(host string) string {
	host = strings.TrimSpace(host)
	if hp, _, err := net.SplitHostPort(host); err == nil {
		host = hp
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return host
}

// allows says whether a request's Host header names this server: one of
// its names, a name under .localhost (always loopback in browsers), or a
// loopback IP.
func (h *hostCheck) allows(host string) bool {
	if h.any {
		return true
	}
	name := normalHost(host)
	if name == "" {
		return false
	}
	if h.names[name] || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// ErrHostNotAllowed is the error of a request whose Host header does not
// name the server: the answer has status 421 (Misdirected Request).
var ErrHostNotAllowed = errors.New("host not allowed")

// HostError is a request refused for its Host header.
type HostError struct {
	Host    string   // the Host header, as sent
	Listen  string   // the address the server listens on
	Allowed []string // the names it answers (and any loopback IP)
	Hint    string   // how to allow more names, from Options.HostHint
}

func (e *HostError) Error() string {
	host := fmt.Sprintf("%q", e.Host)
	if e.Host == "" {
		host = "(none)"
	}
	on := ""
	if e.Listen != "" {
		on = " on " + e.Listen
	}
	msg := fmt.Sprintf("Host %s is not a name of this server%s: it answers %s and loopback IPs only, "+
		"since a request under another name can be a page of another site reading this one (DNS rebinding)",
		host, on, strings.Join(e.Allowed, ", "))
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *HostError) Unwrap() error { return ErrHostNotAllowed }

// guard answers 421 to a request whose Host header is not allowed, and
// passes the others to next.
func (h *hostCheck) guard(next http.Handler, hint string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.allows(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, &HostError{Host: r.Host, Listen: h.listen, Allowed: h.allowed, Hint: hint})
			return
		}
		next.ServeHTTP(w, r)
	})
}
