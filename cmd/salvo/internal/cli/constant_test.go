package cli

import (
	"path/filepath"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// Single braces (Python's str.format) name no field: every record would
// get the same text. salvo stops before any request and says what to
// write; --allow-constant-text lets it through.
func TestConstantTextIsFatal(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 8})
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	movies := repoFile(t, "examples/movies.jsonl")
	kinds := writeFile(t, dir, "kinds.jsonl", "{\"id\":1,\"kind\":\"movie\",\"title\":\"Heat\"}\n{\"id\":2,\"kind\":\"movie\",\"title\":\"Up\"}\n{\"id\":3,\"kind\":\"movie\",\"title\":\"Big\"}\n")
	const fix = "\nNothing was sent: fix --text, or pass --allow-constant-text if every record is meant to get that text\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"single braces", []string{movies, "--text", "{title} ({year})"},
			"salvo: --text: `{title}` is not a field reference: write `{{.title}}`, and `{year}`: write `{{.year}}`; as written, the template names no field, so every record gets the same text \"{title} ({year})\"" + fix},
		{"no field", []string{movies, "--text", "a movie"},
			"salvo: --text: the template names no field, so every record gets the same text \"a movie\"" + fix},
		{"same text for every sampled record", []string{kinds, "--text", "{{.kind}}: {title}"},
			"salvo: --text: `{title}` is not a field reference: write `{{.title}}`; as written, the template gives all 3 records read the same text \"movie: {title}\"" + fix},
		{"from a database", []string{"--source-db", filepath.Join(dir, "shop.db"), "--sql", "SELECT id, title FROM movies", "--text", "{title}"},
			"salvo: --text: `{title}` is not a field reference: write `{{.title}}`; as written, the template names no field, so every record gets the same text \"{title}\"" + fix},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"embed", "--host", s.URL(), "--db", db}, tc.args...)...)
			if r.code != ExitFatal || r.err != tc.want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", r.code, r.err, tc.want)
			}
		})
	}
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
	r := run(t, "", "embed", kinds, "--text", "{{.kind}}", "--allow-constant-text", "--host", s.URL(), "--db", db, "--json")
	if m := r.summary(t); r.code != ExitOK || num(m, "read") != 3 || num(m, "failed") != 0 {
		t.Errorf("--allow-constant-text: exit %d, summary %v\n%s", r.code, m, r.err)
	}
	// One record cannot tell; texts that differ are fine.
	for _, args := range [][]string{{"--text", "{{.kind}} {title}", "--limit", "1"}, {"--text", "{{.title}} {year}"}} {
		one := writeFile(t, dir, "one.jsonl", "{\"id\":1,\"kind\":\"movie\",\"title\":\"Heat\"}\n")
		in := one
		if args[1] == "{{.title}} {year}" {
			in = kinds
		}
		r := run(t, "", append([]string{"embed", in, "--host", s.URL(), "--db", db, "--collection", "ok"}, args...)...)
		if r.code != ExitOK {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.err)
		}
	}
}
