package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// hostList is a repeatable, comma-separated --host flag.
type hostList []string

var _ pflag.Value = (*hostList)(nil)

func (h *hostList) String() string { return strings.Join(*h, ",") }
func (h *hostList) Type() string   { return "URL" }
func (h *hostList) Set(v string) error {
	// What `salvo fleet up` prints is taken as it is: --host "$(salvo fleet up)".
	v = strings.TrimPrefix(strings.TrimSpace(v), "OLLAMA_HOST=")
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

// autoInt is a flag that takes a positive number or "auto" (stored as 0).
type autoInt int

var _ pflag.Value = (*autoInt)(nil)

func (a *autoInt) String() string {
	if *a == 0 {
		return "auto"
	}
	return strconv.Itoa(int(*a))
}
func (a *autoInt) Type() string { return "N|auto" }
func (a *autoInt) Set(v string) error {
	if strings.EqualFold(strings.TrimSpace(v), "auto") {
		*a = 0
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return fmt.Errorf("want a whole number of at least 1, or auto")
	}
	*a = autoInt(n)
	return nil
}
