package moviegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func generate(t testing.TB, seed int64, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Generate(seed, n, &buf); err != nil {
		t.Fatalf("Generate(%d, %d): %v", seed, n, err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	for _, seed := range []int64{1, 2, -7} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			a, b := generate(t, seed, 500), generate(t, seed, 500)
			if !bytes.Equal(a, b) {
				t.Fatal("two runs with the same seed differ")
			}
			// Next and Generate must agree record by record.
			g := New(seed)
			for k, line := range bytes.Split(bytes.TrimSuffix(a, []byte("\n")), []byte("\n")) {
				m := g.Next()
				if got := m.AppendJSON(nil); !bytes.Equal(got, line) {
					t.Fatalf("record %d: Next gives\n%s\nGenerate wrote\n%s", k+1, got, line)
				}
			}
			if other := generate(t, seed+1, 500); bytes.Equal(a, other) {
				t.Fatalf("seeds %d and %d give the same catalog", seed, seed+1)
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	tests := []struct {
		n, groups int
	}{
		{57, 0}, {58, 1}, {157, 1}, {158, 2}, {300, 3}, {1000, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			g := New(1)
			bySummary := map[string][]Movie{}
			for range tt.n {
				m := g.Next()
				bySummary[m.Summary] = append(bySummary[m.Summary], m)
			}
			groups := 0
			for _, ms := range bySummary {
				if len(ms) == 1 {
					continue
				}
				groups++
				if len(ms) != 2 {
					t.Fatalf("summary shared by %d records, want 2: %q", len(ms), ms[0].Summary)
				}
				orig, dup := ms[0], ms[1]
				if o, ok := DuplicateOf(dup.ID); !ok || o != orig.ID {
					t.Errorf("DuplicateOf(%d) = %d, %v; want %d, true", dup.ID, o, ok, orig.ID)
				}
				if orig.Title != dup.Title || orig.Year != dup.Year || !slices.Equal(orig.Genres, dup.Genres) {
					t.Errorf("records %d and %d share a summary but not title, year and genres", orig.ID, dup.ID)
				}
				if orig.IMDBCode == dup.IMDBCode || orig.Slug == dup.Slug {
					t.Errorf("records %d and %d share an imdb_code or slug", orig.ID, dup.ID)
				}
			}
			if groups != tt.groups {
				t.Errorf("got %d duplicated summaries, want %d", groups, tt.groups)
			}
		})
	}
}

func TestDuplicateOf(t *testing.T) {
	tests := []struct {
		id, orig int
		ok       bool
	}{
		{0, 0, false}, {-5, 0, false}, {1, 0, false}, {57, 0, false},
		{58, 18, true}, {59, 0, false}, {158, 118, true}, {1_000_058, 1_000_018, true},
	}
	for _, tt := range tests {
		if orig, ok := DuplicateOf(tt.id); orig != tt.orig || ok != tt.ok {
			t.Errorf("DuplicateOf(%d) = %d, %v; want %d, %v", tt.id, orig, ok, tt.orig, tt.ok)
		}
	}
}

// lineCounter counts newlines without keeping what it is given.
type lineCounter struct{ lines, bytes int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	c.bytes += len(p)
	return len(p), nil
}

func TestGenerateStreams(t *testing.T) {
	n := 100_000
	if raceEnabled || testing.Short() {
		n = 10_000
	}
	var c lineCounter
	if err := Generate(7, n, &c); err != nil {
		t.Fatal(err)
	}
	if c.lines != n {
		t.Fatalf("got %d lines, want %d", c.lines, n)
	}
	t.Logf("%d records, %d bytes", n, c.bytes)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	type plain Movie // plain has Movie's fields and tags but not its MarshalJSON
	g := New(3)
	for range 300 {
		m := g.Next()
		fast := m.AppendJSON(nil)
		var back Movie
		if err := json.Unmarshal(fast, &back); err != nil {
			t.Fatalf("record %d: AppendJSON wrote invalid JSON: %v\n%s", m.ID, err, fast)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("record %d does not round-trip:\n got %+v\nwant %+v", m.ID, back, m)
		}
		slow, err := json.Marshal(plain(m))
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := errors.Join(json.Unmarshal(fast, &a), json.Unmarshal(slow, &b)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("record %d: AppendJSON and encoding/json disagree:\n%s\n%s", m.ID, fast, slow)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"negative count", func() error { return Generate(1, -1, io.Discard) }, "count must be 0 or more"},
		{"negative yts count", func() error { return GenerateYTS(1, -1, io.Discard) }, "count must be 0 or more"},
		{"write error", func() error { return Generate(1, 10_000, failingWriter{}) }, "disk full"},
		{"yts write error", func() error { return GenerateYTS(1, 500, failingWriter{}) }, "disk full"},
	}
	for _, tt := range tests {
		err := tt.run()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The Last Harbor", "the-last-harbor"},
		{"Zoë's Summer", "zoes-summer"},
		{"Tide & Crown", "tide-crown"},
		{"Glass Empire: The Long Night", "glass-empire-the-long-night"},
		{"Goodbye, Kestrel Bay", "goodbye-kestrel-bay"},
		{"The Orchard III", "the-orchard-iii"},
		{"José's River", "joses-river"},
	}
	for _, tt := range tests {
		if got := slug(tt.in); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestExamplesUpToDate fails when the word lists or the generator change
// without the committed examples being regenerated.
func TestExamplesUpToDate(t *testing.T) {
	tests := []struct {
		file, command string
		write         func(io.Writer) error
	}{
		{"../../../examples/movies.jsonl", "-n 300 -seed 1",
			func(w io.Writer) error { return Generate(1, 300, w) }},
		{"../../../examples/yts-list_movies.json", "-n 50 -seed 2 -format yts",
			func(w io.Writer) error { return GenerateYTS(2, 50, w) }},
	}
	for _, tt := range tests {
		committed, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatalf("reading the committed example: %v", err)
		}
		var want bytes.Buffer
		if err := tt.write(&want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, want.Bytes()) {
			t.Errorf("%s is stale: regenerate it with go run ./internal/tools/moviegen/cmd/genmovies %s", tt.file, tt.command)
		}
	}
}

func TestSummariesVaried(t *testing.T) {
	g := New(1)
	summaries, titles, openings := map[string]bool{}, map[string]bool{}, map[string]bool{}
	const n = 1000
	for range n {
		m := g.Next()
		summaries[m.Summary] = true
		titles[m.Title] = true
		sc := bufio.NewScanner(strings.NewReader(m.Summary))
		sc.Split(bufio.ScanWords)
		var first []string
		for len(first) < 4 && sc.Scan() {
			first = append(first, sc.Text())
		}
		openings[strings.Join(first, " ")] = true
	}
	if want := n - n/DuplicateEvery; len(summaries) != want {
		t.Errorf("got %d distinct summaries in %d records, want %d", len(summaries), n, want)
	}
	if len(titles) < n*8/10 {
		t.Errorf("only %d distinct titles in %d records", len(titles), n)
	}
	if len(openings) < n/4 {
		t.Errorf("only %d distinct four-word openings in %d summaries", len(openings), n)
	}
}
