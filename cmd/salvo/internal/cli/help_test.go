package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/spf13/pflag"
)

// Every flag of salvo embed is under one heading of its --help, once: a new
// flag must be put in a group.
func TestEmbedFlagsGrouped(t *testing.T) {
	var f embedFlags
	fs := pflag.NewFlagSet("embed", pflag.ContinueOnError)
	f.register(fs)
	group := map[string]string{}
	for _, g := range embedFlagGroups {
		for _, name := range g.flags {
			if other, ok := group[name]; ok {
				t.Errorf("--%s is in two groups: %q and %q", name, other, g.title)
			}
			group[name] = g.title
		}
	}
	fs.VisitAll(func(fl *pflag.Flag) {
		if _, ok := group[fl.Name]; !ok && !fl.Hidden {
			t.Errorf("--%s is in no group of embedFlagGroups (cmd/salvo/internal/cli/help.go): add it to the one a user would look in", fl.Name)
		}
	})
}

func TestEmbedHelpHeadings(t *testing.T) {
	r := run(t, "", "help", "embed")
	if r.code != ExitOK || r.err != "" {
		t.Fatalf("salvo help embed: exit %d, stderr %q", r.code, r.err)
	}
	var headings []string
	for _, l := range strings.Split(r.out, "\n") {
		if strings.Contains(l, ": ") && !strings.HasPrefix(l, " ") && strings.Contains(r.out, "\n\n"+l+"\n") && strings.Contains(r.out, l+"\n      --") {
			headings = append(headings, l)
		}
	}
	want := []string{
		"Input: where the records come from",
		"Text: what is embedded for each record",
		"Server: where the vectors come from",
		"Speed: how hard the servers are pushed, how failures are retried",
		"Store: where the vectors go",
		"Cluster: one run shared by many machines",
		"Output: what salvo prints and writes besides the vectors",
	}
	if strings.Join(headings, "\n") != strings.Join(want, "\n") {
		t.Errorf("headings:\n%s\nwant:\n%s", strings.Join(headings, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(r.out, "\nOther\n") {
		t.Errorf("a flag of salvo embed is in no group:\n%s", r.out)
	}
	// Lists say so, and the descriptions start in one column although … is
	// three bytes.
	col := -1
	for _, want := range []string{
		"      --keep FIELD,…",
		"      --fields FIELD,…",
		"      --db PATH",
	} {
		i := strings.Index(r.out, "\n"+want+"  ")
		if i < 0 {
			t.Errorf("salvo help embed lacks %q", want)
			continue
		}
		line := r.out[i+1:]
		line = line[:strings.IndexByte(line, '\n')]
		runes := []rune(line)
		c := len([]rune(want))
		for c < len(runes) && runes[c] == ' ' {
			c++
		}
		if col >= 0 && c != col {
			t.Errorf("%q: description starts in column %d, others in %d:\n%s", want, c, col, line)
		}
		col = c
	}
	for _, want := range []string{
		"record fields (FIELD,…) to keep with each vector",
		"embed these fields (FIELD,…) as",
		"SQLite database PATH, or a PostgreSQL URL",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("salvo help embed lacks %q", want)
		}
	}
}

// salvo help COMMAND prints what salvo COMMAND --help prints, on stdout.
func TestHelpCommand(t *testing.T) {
	for _, cmd := range commands {
		t.Run(cmd, func(t *testing.T) {
			h := run(t, "", "help", cmd)
			if h.code != ExitOK || h.err != "" || !strings.Contains(h.out, "salvo "+cmd) {
				t.Fatalf("salvo help %s: exit %d, stdout %q, stderr %q", cmd, h.code, h.out, h.err)
			}
			if cmd == "help" || cmd == "version" {
				return
			}
			if strings.Contains(h.out, "Start here, with Ollama running") {
				t.Errorf("salvo help %s printed salvo's own help", cmd)
			}
			f := run(t, "", cmd, "--help")
			if got := f.out + f.err; got != h.out {
				t.Errorf("salvo help %s:\n%s\nsalvo %s --help:\n%s", cmd, h.out, cmd, got)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"embd"}, "salvo: unknown command \"embd\"; did you mean `salvo embed`?\nRun 'salvo help' for the commands.\n"},
		{[]string{"help", "embd"}, "salvo help: unknown command \"embd\"; did you mean `salvo embed`?\nRun 'salvo help' for the commands.\n"},
		{[]string{"embed", "x.jsonl", "--modle", "m"}, "salvo embed: unknown flag: --modle; did you mean --model?\nRun 'salvo embed --help' for the flags.\n"},
		{[]string{"search", "-k", "3", "heist"}, "salvo: unknown shorthand flag: 'k' in -k; did you mean --k?\n"},
		{[]string{"status", "--jsn"}, "salvo: unknown flag: --jsn; did you mean --json?\n"},
		{[]string{"export", "--colection", "m"}, "salvo: unknown flag: --colection; did you mean --collection?\n"},
		{[]string{"serve", "--adr", ":0"}, "salvo: unknown flag: --adr; did you mean --addr?\n"},
		{[]string{"similar", "--shwo", "title", "1"}, "salvo: unknown flag: --shwo; did you mean --show?\n"},
		{[]string{"bench", "--quik", "x.jsonl"}, "salvo: unknown flag: --quik; did you mean --quick?\n"},
		{[]string{"fleet", "up", "--instanses", "2"}, "salvo: unknown flag: --instanses; did you mean --instances?\n"},
	} {
		r := run(t, "", tc.args...)
		if r.code != ExitFatal || r.err != tc.want {
			t.Errorf("salvo %s: exit %d, stderr:\n%s\nwant exit 1 and:\n%s", strings.Join(tc.args, " "), r.code, r.err, tc.want)
		}
	}
	// Nothing close: the list of commands.
	if r := run(t, "", "frobnicate"); r.code != ExitFatal || !strings.HasPrefix(r.err, "salvo: unknown command \"frobnicate\"\n\n"+usage[:20]) {
		t.Errorf("salvo frobnicate: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// No help text says SQLite alone where PostgreSQL works too.
func TestHelpSaysPostgreSQLToo(t *testing.T) {
	sqliteOnly := regexp.MustCompile(`SQLite (collection|database)`)
	for _, cmd := range commands {
		r := run(t, "", "help", cmd)
		for _, l := range strings.Split(r.out, "\n") {
			if sqliteOnly.MatchString(l) && !strings.Contains(l, "PostgreSQL") {
				t.Errorf("salvo help %s: %q", cmd, l)
			}
		}
	}
}

// A server that does not answer gets one hint, and in salvo's clone the
// tour's script (scripts/real-ollama.sh up, status).
func TestUnreachableHintOnce(t *testing.T) {
	dead := ollamatest.New(ollamatest.Config{})
	url := dead.URL()
	dead.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "m.jsonl", `{"id":1,"title":"one"}`+"\n")
	args := []string{"embed", in, "--host", url, "--db", filepath.Join(dir, "m.db"), "--fields", "title"}
	first := "salvo: cannot reach Ollama at " + url + ": nothing listens there (connection refused)\n" +
		"Start Ollama with `ollama serve`, or point --host (or OLLAMA_HOST) at a running server"

	root := repoFile(t, ".")
	t.Chdir(dir)
	if r := run(t, "", args...); r.code != ExitFatal || r.err != first+"\n" {
		t.Errorf("outside the clone: exit %d, stderr:\n%s\nwant:\n%s", r.code, r.err, first)
	}
	t.Chdir(root) // where scripts/real-ollama.sh is
	want := first + ".\n" +
		"The tour's server: `scripts/real-ollama.sh up` starts it, and\n" +
		"`set -a; eval \"$(scripts/real-ollama.sh status)\"; set +a` points another shell at it\n"
	if r := run(t, "", args...); r.code != ExitFatal || r.err != want {
		t.Errorf("in the clone: exit %d, stderr:\n%s\nwant:\n%s", r.code, r.err, want)
	}
}
