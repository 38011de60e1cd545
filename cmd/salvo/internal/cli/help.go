package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/salvoembed/salvo/render"
	"github.com/spf13/pflag"
)

// commands are salvo's commands, for `salvo help COMMAND` and for "did you
// mean" after a mistyped one.
var commands = []string{"embed", "status", "search", "similar", "export", "serve", "alias", "drop", "gc", "bench", "fleet", "version", "help"}

// flagGroup is a heading of a command's --help and the flags under it.
type flagGroup struct {
	title string
	flags []string
}

// embedFlagGroups orders `salvo embed --help`. Every flag of salvo embed
// must be in one group (TestEmbedFlagsGrouped fails otherwise): a new flag
// goes into the group a user would look in. A name that is not (or not yet)
// a flag is left out of the help.
var embedFlagGroups = []flagGroup{
	{"Input: where the records come from", []string{
		"files", "format", "records", "id", "limit", "on-duplicate", "source-db", "sql", "watch", "changed-since", "full-every"}},
	{"Text: what is embedded for each record", []string{
		"text", "fields", "prefix", "allow-constant-text", "chunk", "chunk-overlap"}},
	{"Server: where the vectors come from", []string{
		"host", "model", "api", "api-key-env", "dimensions", "keep-alive", "truncate", "pull", "num-thread"}},
	{"Speed: how hard the servers are pushed, how failures are retried", []string{
		"concurrency", "batch-size", "rate", "retries", "timeout", "host-timeout"}},
	{"Store: where the vectors go", []string{
		"db", "db-timeout", "collection", "keep", "skip-existing", "force", "prune", "prune-max", "write-back"}},
	{"Cluster: one run shared by many machines", []string{
		"distributed", "job-size", "lease"}},
	{"Output: what salvo prints and writes besides the vectors", []string{
		"json", "quiet", "plan", "failures", "metrics-addr"}},
}

// flagGroups are the commands whose --help groups its flags.
var flagGroups = map[string][]flagGroup{"embed": embedFlagGroups}

// usageStart is the first line of a flag's entry in pflag's FlagUsages:
// "  -x, --name …" or "      --name …". The help's patterns are compiled
// when help is first printed, not at every start.
var usageStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s+(?:-\S, )?--([^\s=\[]+)`) })

// printFlags writes the flags of command name: under the headings of its
// flagGroups if it has any (with one column for all), a flag of no group
// under "Other", else pflag's one block.
func printFlags(w io.Writer, name string, fs *pflag.FlagSet) {
	groups := flagGroups[name]
	entries := map[string]string{}
	var order []string
	cur := ""
	for _, line := range strings.SplitAfter(fs.FlagUsages(), "\n") {
		if m := usageStart().FindStringSubmatch(line); m != nil {
			cur = m[1]
			order = append(order, cur)
			line = align(line)
		}
		if groups == nil {
			fmt.Fprint(w, line)
			continue
		}
		if cur != "" {
			entries[cur] += line
		}
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s\n", g.title)
		for _, f := range g.flags {
			fmt.Fprint(w, entries[f])
			delete(entries, f)
		}
	}
	other := false
	for _, f := range order {
		if e, ok := entries[f]; ok {
			if !other {
				fmt.Fprint(w, "\nOther\n")
				other = true
			}
			fmt.Fprint(w, e)
		}
	}
}

// usageColumns is a flag entry's first line: the flag and its value's
// name, the padding, the usage.
var usageColumns = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s+(?:-\S, )?--\S+(?: \S+)?)( +)(\S)`) })

// align pads a flag's first line for the characters of more than one byte
// in its value's name (FIELD,…): pflag counts bytes, a terminal columns.
func align(line string) string {
	m := usageColumns().FindStringSubmatchIndex(line)
	if m == nil {
		return line
	}
	name := line[m[2]:m[3]]
	extra := len(name) - utf8.RuneCountInString(name)
	if extra <= 0 {
		return line
	}
	return name + strings.Repeat(" ", extra) + line[m[3]:]
}

// newFlagSet is the flag set of command name, whose --help prints help
// and then the flags.
func newFlagSet(name, help string, io Stdio) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Err)
	fs.SortFlags = false
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		switch name {
		case "concurrent", "workers": // the guide's names for the same knob
			name = "concurrency"
		}
		return pflag.NormalizedName(name)
	})
	fs.Usage = func() {
		fmt.Fprint(io.Err, help)
		printFlags(io.Err, name, fs)
	}
	return fs
}

// parseFlags parses args into fs; a flag fs does not have gets "did you
// mean" the closest one it has.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(args)
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return err
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	given := ne.GetSpecifiedName()
	if short := ne.GetSpecifiedShortnames(); short != "" {
		// -model: a long flag written with one dash.
		given = short
	}
	if s := render.Suggest(given, names); s != "" {
		return fmt.Errorf("%w; did you mean --%s?", err, s)
	}
	return err
}

// unknownCommand is the error for a command salvo does not have.
func unknownCommand(name string) string {
	if s := render.Suggest(name, commands); s != "" {
		return fmt.Sprintf("salvo: unknown command %q; did you mean `salvo %s`?\nRun 'salvo help' for the commands.\n", name, s)
	}
	return fmt.Sprintf("salvo: unknown command %q\n\n%s", name, usage)
}

// runHelp is `salvo help [COMMAND]`: the command's --help, on stdout.
func runHelp(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 {
		fmt.Fprint(stdio.Out, usage)
		return ExitOK
	}
	if len(args) > 1 {
		fmt.Fprintf(stdio.Err, "salvo help: one command at a time (got %q)\n", args)
		return ExitFatal
	}
	out := Stdio{In: stdio.In, Out: stdio.Out, Err: stdio.Out, IsTerminal: stdio.IsTerminal}
	switch args[0] {
	case "help":
		fmt.Fprint(stdio.Out, usage)
		return ExitOK
	case "version":
		fmt.Fprint(stdio.Out, "Usage: salvo version\n\nPrints salvo's version.\n")
		return ExitOK
	case "embed", "status", "search", "similar", "export", "serve", "alias", "drop", "gc", "bench", "fleet":
		return Main(ctx, []string{args[0], "--help"}, out)
	}
	msg := strings.Replace(unknownCommand(args[0]), "salvo: ", "salvo help: ", 1)
	fmt.Fprint(stdio.Err, msg)
	return ExitFatal
}

// tourScript is the script that runs the tour's Ollama, as seen from the
// clone's folder.
var tourScript = filepath.Join("scripts", "real-ollama.sh")

// startHint says how to get a server that answers, once: with the tour's
// script when salvo runs in its clone.
func startHint() string {
	h := "Start Ollama with `ollama serve`, or point --host (or OLLAMA_HOST) at a running server"
	if _, err := os.Stat(tourScript); err == nil {
		h += ".\nThe tour's server: `scripts/real-ollama.sh up` starts it, and\n`set -a; eval \"$(scripts/real-ollama.sh status)\"; set +a` points another shell at it"
	}
	return h
}

// unreachableCause is why a server did not answer, without the hint the
// HTTP layer adds to a refused connection: startHint says what to do.
func unreachableCause(err error) string {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "nothing listens there (connection refused)"
	}
	return err.Error()
}
