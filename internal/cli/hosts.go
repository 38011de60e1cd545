package cli

import (
	"strings"

	"github.com/spf13/pflag"
)

// hostList is a repeatable, comma-separated --host flag.
type hostList []string

var _ pflag.Value = (*hostList)(nil)

func (h *hostList) String() string { return strings.Join(*h, ",") }
func (h *hostList) Type() string   { return "URL" }
func (h *hostList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*h = append(*h, s)
		}
	}
	return nil
}

// defaultHosts is $OLLAMA_HOST (which may list several), else Ollama's
// default address.
func defaultHosts() []string {
	var h hostList
	if v := Getenv("OLLAMA_HOST"); v != "" {
		h.Set(v)
	}
	if len(h) == 0 {
		h = hostList{"http://127.0.0.1:11434"}
	}
	return h
}
