package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// movieMatches lists the IDs of the sample catalog with year >= from and
// a genre that contains sub (case-insensitive).
func movieMatches(t *testing.T, from int, sub string) []string {
	t.Helper()
	f, err := os.Open(repoFile(t, "examples/movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m struct {
			ID     json.Number
			Year   int
			Genres []string
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m.Year >= from && slices.ContainsFunc(m.Genres, func(g string) bool { return strings.Contains(strings.ToLower(g), sub) }) {
			ids = append(ids, m.ID.String())
		}
	}
	return ids
}

// --where filters before ranking: search and similar return k records
// whenever k match, all of them matching; a field that is not kept or an
// expression that does not parse is exit 1 with the kept fields listed.
func TestSearchWhere(t *testing.T) {
	const model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}})
	db := moviesDB(t, s.URL(), model)
	match := movieMatches(t, 2000, "sci")
	if len(match) < 11 || len(match) > 100 {
		t.Fatalf("%d sci-fi movies after 2000: the test wants more than 10 and a minority", len(match))
	}
	for _, args := range [][]string{
		{"search", "--host", s.URL(), "The Waltz of Kestrel Mills"},
		{"similar", "7"},
		{"similar", match[0]},
	} {
		out := decodeResults(t, run(t, "", append(args, "--db", db, "--json", "--k", "10", "--where", "year >= 2000", "--where", "genres ~ sci")...))
		if len(out.Results) != 10 {
			t.Errorf("%s: %d results, want 10", args[0], len(out.Results))
		}
		for _, r := range out.Results {
			if !slices.Contains(match, r.ID) || r.ID == args[1] {
				t.Errorf("%s %q --where 'year >= 2000' --where 'genres ~ sci': %s %v does not match", args[0], args[1], r.ID, r.Fields)
			}
		}
		// k larger than the matches: every match, and nothing else.
		out = decodeResults(t, run(t, "", append(args, "--db", db, "--json", "--k", "300", "--where", "year >= 2000", "--where", "genres ~ sci")...))
		want := len(match)
		if slices.Contains(match, args[1]) && args[0] == "similar" {
			want--
		}
		if len(out.Results) != want {
			t.Errorf("%s --k 300: %d results, want the %d matches", args[0], len(out.Results), want)
		}
	}
	out := decodeResults(t, run(t, "", "similar", "--db", db, "--json", "--where", "genres in (Western, 'Film-Noir')", "--where", "year < 1990", "1"))
	for _, r := range out.Results {
		g, _ := json.Marshal(r.Fields["genres"])
		if y, _ := r.Fields["year"].(float64); y >= 1990 || !strings.Contains(string(g), "Western") && !strings.Contains(string(g), "Film-Noir") {
			t.Errorf("in (Western, 'Film-Noir'), year < 1990: %v", r.Fields)
		}
	}
	for _, tc := range []struct{ where, want string }{
		{"rating > 3", `salvo: --where: filter on "rating": not a kept field; the kept fields are title, year, genres` + "\n"},
		{"year >>= 3", `salvo: --where: filter "year >>= 3": a second operator: write one, and quote a value that starts with > at byte 6; write FIELD OP VALUE, e.g. 'year >= 2000' (operators = != < <= > >= ~ in); the kept fields are title, year, genres` + "\n"},
		{"year", `salvo: --where: filter "year": want an operator: = != < <= > >= ~ or in at byte 4; write FIELD OP VALUE, e.g. 'year >= 2000' (operators = != < <= > >= ~ in); the kept fields are title, year, genres` + "\n"},
	} {
		for _, cmd := range [][]string{{"similar", "1"}, {"search", "--host", s.URL(), "x"}} {
			r := run(t, "", append(cmd, "--db", db, "--where", tc.where)...)
			if r.code != ExitFatal || r.err != tc.want {
				t.Errorf("%s --where %q: exit %d, stderr\n%q\nwant\n%q", cmd[0], tc.where, r.code, r.err, tc.want)
			}
		}
	}
}
