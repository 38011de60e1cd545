package e2e

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
	_ "modernc.org/sqlite"
)

// readmeCommand returns the words of the README's command line that
// contains marker (a ```bash block, continuation lines joined), without
// the leading "salvo".
func readmeCommand(t *testing.T, marker string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	for _, block := range strings.Split(string(b), "```bash\n")[1:] {
		block = block[:strings.Index(block, "```")]
		if strings.Contains(block, marker) {
			cmd = strings.ReplaceAll(block, "\\\n", " ")
			break
		}
	}
	if cmd == "" {
		t.Fatalf("README.md has no ```bash block with %q", marker)
	}
	words := shellWords(t, strings.TrimSpace(cmd))
	if len(words) == 0 || words[0] != "salvo" {
		t.Fatalf("README command %q does not start with salvo", cmd)
	}
	return words[1:]
}

// shellWords splits a command line as the shell does for plain words and
// '…' and "…" quotes (no expansions).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var (
		words []string
		cur   strings.Builder
		in    bool
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words, in = append(words, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote in %q", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// TestREADMESourceDBRelativeSQLite runs the README's own SQLite command
// line, `--source-db shop.db`, in the folder of shop.db, then the same with
// sqlite:shop.db and ./shop.db: each reads every row and writes every
// vector back (before, each failed with "invalid uri authority").
func TestREADMESourceDBRelativeSQLite(t *testing.T) {
	srv := ollamatest.New(ollamatest.Config{Dims: 16, Slots: 2})
	defer srv.Close()
	dir := t.TempDir()
	args, moviesPath := readmeCommand(t, "--source-db shop.db"), moviesFile(t)
	t.Chdir(dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, year INTEGER, summary TEXT)`); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(moviesPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	const n = 60
	for i := 0; i < n && sc.Scan(); i++ {
		var m struct {
			ID             int
			Title, Summary string
			Year           int
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO movies VALUES (?, ?, ?, ?)`, m.ID, m.Title, m.Year, m.Summary); err != nil {
			t.Fatal(err)
		}
	}
	for _, spelling := range []string{"shop.db", "sqlite:shop.db", "./shop.db"} {
		if _, err := db.Exec(`UPDATE movies SET embedding = NULL`); err != nil && !strings.Contains(err.Error(), "no such column") {
			t.Fatal(err)
		}
		a := append([]string(nil), args...)
		for i := range a {
			if i > 0 && a[i-1] == "--source-db" {
				a[i] = spelling
			}
		}
		a = append(a, "--host", srv.URL(), "--db", "salvo.db")
		if a[0] != "embed" {
			t.Fatalf("the README's command is not salvo embed: %q", a)
		}
		s, r := embedOK(t, a[1:]...)
		var written int
		if err := db.QueryRow(`SELECT count(*) FROM movies WHERE length(embedding) = 16 * 4`).Scan(&written); err != nil {
			t.Fatal(err)
		}
		if s.Read != n || s.Failed != 0 || written != n {
			t.Errorf("--source-db %s: %+v, %d rows written back, want %d\n%s", spelling, s, written, n, r.err)
		}
	}
}
