package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/salvoembed/salvo/engine"
	"github.com/spf13/pflag"
)

// chunkFlag is --chunk: auto, off, or a number of tokens.
type chunkFlag int

func (c *chunkFlag) String() string {
	switch *c {
	case engine.ChunkAuto:
		return "auto"
	case 0:
		return "off"
	}
	return strconv.Itoa(int(*c))
}

func (c *chunkFlag) Set(s string) error {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "auto":
		*c = engine.ChunkAuto
		return nil
	case "off", "false", "no":
		*c = 0
		return nil
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q: give auto, off or a number of tokens of at least 1", s)
		}
		*c = chunkFlag(n)
		return nil
	}
}

func (c *chunkFlag) Type() string { return "auto|off|N" }

// registerChunk adds --chunk and --chunk-overlap.
func (f *embedFlags) registerChunk(fs *pflag.FlagSet) {
	f.chunk = engine.ChunkAuto
	fs.Var(&f.chunk, "chunk", "cut long texts into pieces, one vector each under the record's ID: auto (texts longer than the model's context), off (the server truncates them), or N (pieces of at most N tokens)")
	fs.IntVar(&f.chunkOverlap, "chunk-overlap", 0, "tokens repeated between consecutive pieces (0: a tenth of a piece; -1: none)")
}

// chunkSettings are --chunk's for the settings two processes of one
// --distributed run must share.
func (f *embedFlags) chunkSettings() []string {
	return []string{"--chunk", f.chunk.String(), "--chunk-overlap", fmt.Sprint(f.chunkOverlap)}
}
