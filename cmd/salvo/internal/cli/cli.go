// Package cli is the salvo command line: flags in, calls to the engine and
// the store, and the one place where errors become exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/salvoembed/salvo/engine"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	ExitOK          = 0   // everything stored
	ExitFatal       = 1   // bad flags, server unreachable, model missing, store unusable
	ExitPartial     = 2   // the run finished but some records failed
	ExitInterrupted = 130 // Ctrl-C: in-flight writes were committed first
)

// Stdio are the streams a command uses.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
	// IsTerminal reports whether Err is a terminal (for the progress bar);
	// nil means "check the file descriptor".
	IsTerminal func() bool
}

// Getenv is how the commands read the environment (tests replace it).
var Getenv = os.Getenv

const usage = `salvo turns catalogs of records into embedding vectors through Ollama.

Usage:
  salvo embed [flags] FILE...   embed records into a collection (SQLite or PostgreSQL)
  salvo status [flags]          list the collections of a database
  salvo search [flags] QUERY    the records most similar to a text
  salvo similar [flags] ID      the records most similar to a stored one
  salvo export [flags]          write a collection's vectors out (jsonl, csv, npy, parquet)
  salvo serve [flags]           a search page and JSON API on 127.0.0.1:8080
  salvo alias NAME COLLECTION   point an alias at a collection (list: salvo alias)
  salvo drop COLLECTION         delete a collection
  salvo gc [--dry-run]          free the cached vectors no record refers to
  salvo bench [flags] FILE      measure strategies against your server and recommend flags
  salvo fleet up|status|down    run several Ollama servers on this machine
  salvo version                 print salvo's version

Start here, with Ollama running and the model pulled (ollama pull nomic-embed-text):
  salvo embed examples/movies.jsonl --text '{{.title}} ({{.year}}): {{.summary}}'
  salvo status
  salvo export --out movies.vectors.jsonl

Run 'salvo help COMMAND' (or 'salvo COMMAND --help') for a command's flags and examples.
`

// Version is salvo's version, set at build time.
var Version = "dev"

// Main runs the salvo command line with args (without the program name) and
// returns the exit code.
func Main(ctx context.Context, args []string, io Stdio) int {
	if len(args) == 0 {
		fmt.Fprint(io.Err, usage)
		return ExitFatal
	}
	var err error
	switch args[0] {
	case "embed":
		return runEmbed(ctx, args[1:], io)
	case "status":
		err = runStatus(ctx, args[1:], io)
	case "export":
		err = runExport(ctx, args[1:], io)
	case "search":
		err = runSearch(ctx, args[1:], io)
	case "similar":
		err = runSimilar(ctx, args[1:], io)
	case "serve":
		err = runServe(ctx, args[1:], io)
	case "alias":
		err = runAlias(ctx, args[1:], io)
	case "drop":
		err = runDrop(ctx, args[1:], io)
	case "gc":
		err = runGC(ctx, args[1:], io)
	case "bench":
		err = runBench(ctx, args[1:], io)
	case "fleet":
		err = runFleet(ctx, args[1:], io)
	case "version", "--version":
		fmt.Fprintln(io.Out, "salvo", Version)
	case "help", "-h", "--help":
		return runHelp(ctx, args[1:], io)
	default:
		fmt.Fprint(io.Err, unknownCommand(args[0]))
		return ExitFatal
	}
	return exitCode(err, io)
}

// exitCode reports err and maps it to an exit code.
func exitCode(err error, io Stdio) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, pflag.ErrHelp):
		return ExitOK
	case errors.Is(err, engine.ErrInterrupted), errors.Is(err, context.Canceled):
		fmt.Fprintln(io.Err, "salvo: interrupted; what was written is kept, run the same command again to continue")
		return ExitInterrupted
	case errors.Is(err, errPartial):
		return ExitPartial
	}
	fmt.Fprintln(io.Err, "salvo:", strings.TrimPrefix(advise(err.Error(), err), "salvo: "))
	return ExitFatal
}

// shellArg is s as one shell word: as it is when that is safe, else in
// single quotes.
func shellArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// errPartial marks a run that finished with failed records.
var errPartial = errors.New("some records failed")

// usageError is a mistake in the command line.
func usageError(format string, a ...any) error {
	return fmt.Errorf(format, a...)
}
