// Package hostaddr reads the address of an embedding server the way Ollama
// reads OLLAMA_HOST ("host", "host:port", "https://host/path"), so that
// every --host and client in salvo accepts the same spellings. Start with
// [BaseURL].
package hostaddr

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultPort is Ollama's port, used for a host given without scheme and
// port.
const DefaultPort = "11434"

// DefaultHost is where Ollama listens when nothing else is said.
const DefaultHost = "127.0.0.1"

// ParseHost reads a server address the way Ollama reads OLLAMA_HOST, so a
// value that works for the ollama command works here:
//
//	""                          http://127.0.0.1:11434
//	"host", "host:port"         http://host:11434, http://host:port
//	":port"                     http://127.0.0.1:port
//	"http://host"               http://host:80
//	"https://host"              https://host:443
//	"https://host/ollama/"      https://host:443/ollama (a base path, as behind a proxy)
//	"ollama.com"                https://ollama.com:443
//
// Surrounding spaces and quotes are ignored. Unlike Ollama, which falls back
// to the default port with a warning, an unusable port, scheme or host name
// is an error: a typo should not silently send work to another server.
func ParseHost(s string) (*url.URL, error) {
	orig := s
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "\"'"))
	bad := func(why string) error {
		return fmt.Errorf("invalid host %q: %s; use host, host:port or http(s)://host[:port][/path]", orig, why)
	}

	scheme, rest, hasScheme := strings.Cut(s, "://")
	defaultPort := DefaultPort
	if !hasScheme {
		scheme, rest = "http", s
		if strings.EqualFold(s, "ollama.com") {
			scheme, rest = "https", "ollama.com:443"
		}
	} else {
		scheme = strings.ToLower(scheme)
		switch scheme {
		case "http":
			defaultPort = "80"
		case "https":
			defaultPort = "443"
		default:
			return nil, bad(fmt.Sprintf("unsupported scheme %q", scheme))
		}
	}
	if strings.ContainsAny(rest, "?# \t\r\n") {
		return nil, bad("unexpected query, fragment or space")
	}

	hostport, path, _ := strings.Cut(rest, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port: a bare name, IPv4 address or IPv6 address with or without
		// brackets.
		host, port = hostport, defaultPort
		bracketed := strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]")
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil && (bracketed || !strings.ContainsAny(hostport, "[]")) {
			host = ip.String()
		} else if strings.ContainsAny(hostport, "[]:") {
			return nil, bad(err.Error())
		}
	} else if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return nil, bad(fmt.Sprintf("%q is not an IPv6 address", host))
	}
	if host == "" {
		host = DefaultHost
	}
	if net.ParseIP(host) == nil && strings.IndexFunc(host, badNameRune) >= 0 {
		return nil, bad(fmt.Sprintf("%q is not a host name", host))
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return nil, bad(fmt.Sprintf("port %q is not a number from 1 to 65535", port))
	}

	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
	if path = strings.Trim(path, "/"); path != "" {
		u.Path = "/" + path
	}
	return u, nil
}

// badNameRune reports a rune that cannot appear in a DNS host name.
func badNameRune(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == '_')
}

// TrimDefaultPort returns u without an explicit port that its scheme
// implies (http 80, https 443), so the Host header reads as browsers send
// it; some proxies route on it.
func TrimDefaultPort(u *url.URL) *url.URL {
	out := *u
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		out.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	return &out
}

// BaseURL is ParseHost followed by TrimDefaultPort: the base of a client's
// request URLs.
func BaseURL(s string) (*url.URL, error) {
	u, err := ParseHost(s)
	if err != nil {
		return nil, err
	}
	return TrimDefaultPort(u), nil
}
