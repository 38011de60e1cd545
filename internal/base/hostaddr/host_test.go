package hostaddr

import (
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	// The first block mirrors Ollama's envconfig TestHost; salvo differs
	// where noted: an empty host means 127.0.0.1, and unusable ports are
	// errors instead of a silent fallback to the default port.
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "http://127.0.0.1:11434"},
		{"only address", "1.2.3.4", "http://1.2.3.4:11434"},
		{"only port", ":1234", "http://127.0.0.1:1234"}, // Ollama: http://:1234
		{"address and port", "1.2.3.4:1234", "http://1.2.3.4:1234"},
		{"hostname", "example.com", "http://example.com:11434"},
		{"hostname and port", "example.com:1234", "http://example.com:1234"},
		{"ipv6 localhost", "[::1]", "http://[::1]:11434"},
		{"ipv6 world open", "[::]", "http://[::]:11434"},
		{"ipv6 no brackets", "::1", "http://[::1]:11434"},
		{"ipv6 + port", "[::1]:1337", "http://[::1]:1337"},
		{"extra space", " 1.2.3.4 ", "http://1.2.3.4:11434"},
		{"extra quotes", "\"1.2.3.4\"", "http://1.2.3.4:11434"},
		{"extra space+quotes", " \" 1.2.3.4 \" ", "http://1.2.3.4:11434"},
		{"extra single quotes", "'1.2.3.4'", "http://1.2.3.4:11434"},
		{"http", "http://1.2.3.4", "http://1.2.3.4:80"},
		{"http port", "http://1.2.3.4:4321", "http://1.2.3.4:4321"},
		{"https", "https://1.2.3.4", "https://1.2.3.4:443"},
		{"https port", "https://1.2.3.4:4321", "https://1.2.3.4:4321"},
		{"proxy path", "https://example.com/ollama", "https://example.com:443/ollama"},
		{"ollama.com", "ollama.com", "https://ollama.com:443"},

		{"trailing slash", "http://h:1/", "http://h:1"},
		{"path trailing slash", "https://example.com/a/b/", "https://example.com:443/a/b"},
		{"localhost", "localhost", "http://localhost:11434"},
		{"scheme case", "HTTP://h:2", "http://h:2"},
		{"host path no scheme", "h:5/x", "http://h:5/x"},
		{"scheme no host", "http://", "http://127.0.0.1:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseHost(tt.in)
			if err != nil {
				t.Fatalf("ParseHost(%q): %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("ParseHost(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseHostErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"zero port", ":0", "port"},
		{"too large port", ":66000", "port"},
		{"too small port", ":-1", "port"},
		{"port not a number", "h:abc", "port"},
		{"empty port", "h:", "port"},
		{"unknown scheme", "ftp://h", "scheme"},
		{"query", "http://h:1/?x=1", "query"},
		{"space inside", "a b", "space"},
		{"open bracket", "[::1", "invalid host"},
		{"colons", "a:b:c", "invalid host"},
		{"bad name", "http://h%zz:1", "invalid host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseHost(tt.in)
			if err == nil {
				t.Fatalf("ParseHost(%q) = %v, want an error", tt.in, u)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseHost(%q) error %q, want it to mention %q and the input", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestTrimDefaultPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.openai.com", "https://api.openai.com"},
		{"http://h", "http://h"},
		{"http://h:443", "http://h:443"},
		{"https://[::1]/v1", "https://[::1]/v1"},
		{"h", "http://h:11434"},
	}
	for _, tt := range tests {
		u, err := ParseHost(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := TrimDefaultPort(u).String(); got != tt.want {
			t.Errorf("TrimDefaultPort(%s) = %s, want %s", u, got, tt.want)
		}
	}
}

// FuzzParseHost: any input gives a usable http(s) URL with a host and a
// port, or an error; never a panic.
func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"", "localhost", "127.0.0.1:11434", ":7", "http://h", "https://h:443/base/", "[::1]:80", "h:99999", "ftp://x", "http://", "  gpu1:11434  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseHost(s)
		if err != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.Port() == "" {
			t.Fatalf("ParseHost(%q) = %q: want an http(s) URL with host and port", s, u)
		}
	})
}
