package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollamatest"
)

// longDocs writes n documents of 6 to 10 contexts of words (from a
// vocabulary of 20,000, in sentences and paragraphs) as JSONL, and
// returns the file and the texts.
func longDocs(t *testing.T, dir string, n, ctxTokens int) (string, []string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	var lines, texts []string
	for i := range n {
		var b strings.Builder
		words := 6*ctxTokens + rng.IntN(4*ctxTokens)
		for w := 0; w < words; w++ {
			switch {
			case w == 0:
			case w%40 == 0:
				b.WriteString(".\n\n")
			case w%9 == 0:
				b.WriteString(". ")
			default:
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "w%05d", rng.IntN(20000))
		}
		b.WriteString(".")
		texts = append(texts, b.String())
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint("doc", i), "text": b.String()})
		lines = append(lines, string(line))
	}
	in := filepath.Join(dir, "docs.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return in, texts
}

type chunkResult struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	Chunk *struct {
		Index int    `json:"index"`
		Start int    `json:"start"`
		End   int    `json:"end"`
		Text  string `json:"text"`
	} `json:"chunk"`
}

func searchJSON(t *testing.T, args ...string) []chunkResult {
	t.Helper()
	r := salvo(t, append([]string{"search", "--json"}, args...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("salvo search %s: exit %d\n%s", strings.Join(args, " "), r.code, r.err)
	}
	var out struct{ Results []chunkResult }
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		t.Fatalf("salvo search --json: %v\n%s", err, r.out)
	}
	return out.Results
}

// TestChunkLongDocuments: documents longer than 4 contexts are embedded in
// pieces by default (0 truncated), and a dozen words from the last tenth
// of one find it first, with the matching piece in --json; with --chunk
// off they are truncated and the same query does not find it.
func TestChunkLongDocuments(t *testing.T) {
	const ctxTokens, n, target = 64, 20, 17
	srv := ollamatest.New(ollamatest.Config{ContextTokens: ctxTokens, Words: true, Dims: 256})
	defer srv.Close()
	dir := t.TempDir()
	in, texts := longDocs(t, dir, n, ctxTokens)
	text := texts[target]
	tail := strings.Fields(text[len(text)*9/10:])
	query := strings.Join(tail[len(tail)-12:], " ")
	id := fmt.Sprint("doc", target)

	db := filepath.Join(dir, "chunked.db")
	r := salvo(t, "embed", in, "--host", srv.URL(), "--db", db, "--json")
	if r.code != cli.ExitOK {
		t.Fatalf("salvo embed: exit %d\n%s", r.code, r.err)
	}
	var rep struct {
		Embedded, Truncated, Chunked, Pieces int
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Truncated != 0 || rep.Embedded != n || rep.Chunked != n || rep.Pieces < 4*n {
		t.Fatalf("salvo embed (default --chunk auto): %+v; want %d embedded, all chunked, 0 truncated\n%s", rep, n, r.err)
	}
	if !strings.Contains(r.err, fmt.Sprintf("%d cut into %d pieces", n, rep.Pieces)) {
		t.Errorf("the report does not say how many records were cut:\n%s", r.err)
	}
	if c := status(t, db); c.Count != n {
		t.Errorf("status counts %d records, want %d", c.Count, n)
	}

	rs := searchJSON(t, "--host", srv.URL(), "--db", db, "--k", "3", query)
	if len(rs) == 0 || rs[0].ID != id || rs[0].Chunk == nil {
		t.Fatalf("search for the tail of %s: %+v", id, rs)
	}
	ch := rs[0].Chunk
	if ch.Start < 0 || ch.End > len(text) || text[ch.Start:ch.End] != ch.Text || !strings.Contains(ch.Text, tail[len(tail)-1]) {
		t.Fatalf("the matching piece [%d,%d) %q is not the tail of %s's text", ch.Start, ch.End, ch.Text, id)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.ID] {
			t.Fatalf("search lists %s twice: %+v", r.ID, rs)
		}
		seen[r.ID] = true
	}
	// The table shows the passage under the result.
	tr := salvo(t, "search", "--host", srv.URL(), "--db", db, "--k", "1", query)
	if !strings.Contains(tr.out, fmt.Sprintf("piece %d, bytes %d–%d: ", ch.Index, ch.Start, ch.End)) {
		t.Errorf("the table does not show the matching piece:\n%s", tr.out)
	}
	// --per-record=false lists pieces: more results than records.
	pieces := searchJSON(t, "--host", srv.URL(), "--db", db, "--k", fmt.Sprint(2*n), "--per-record=false", query)
	seen = map[string]bool{}
	for _, r := range pieces {
		if r.Chunk == nil {
			t.Fatalf("--per-record=false: a result without its piece: %+v", r)
		}
		seen[r.ID] = true
	}
	if len(pieces) != 2*n || len(seen) > n {
		t.Fatalf("--per-record=false --k %d: %d results of %d records", 2*n, len(pieces), len(seen))
	}

	off := filepath.Join(dir, "off.db")
	s, _ := embedOK(t, in, "--host", srv.URL(), "--db", off, "--chunk", "off")
	if s.Truncated != n {
		t.Fatalf("--chunk off: %d truncated, want %d", s.Truncated, n)
	}
	for _, r := range searchJSON(t, "--host", srv.URL(), "--db", off, "--k", fmt.Sprint(n), query) {
		if r.ID == id && r.Score > 0.3 {
			t.Fatalf("--chunk off: the tail of a truncated document scores %.3f", r.Score)
		}
	}
}

// TestRealChunk: on the real Ollama with the fixture model (a 512-token
// context), documents several contexts long are embedded whole in pieces,
// none truncated, and a dozen words from the end of one find it first.
func TestRealChunk(t *testing.T) {
	host, model := realServer(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(21, 22))
	// Each document has words of its own (syllables no other document
	// uses): the fixture model's weights are random, so only shared
	// tokens make texts near.
	letters := "bcdfghjklmnprstvz"
	vowels := "aeiou"
	const n, target = 6, 4
	var lines, texts []string
	for i := range n {
		var own []string
		for j := range 8 {
			own = append(own, string(letters[(i*8+j)%len(letters)])+string(vowels[(i+j)%len(vowels)])+string(letters[(i*3+j*5)%len(letters)]))
		}
		var b strings.Builder
		for w := range 900 + rng.IntN(300) {
			if w > 0 {
				b.WriteString(map[bool]string{true: ". ", false: " "}[w%12 == 0])
			}
			b.WriteString(own[rng.IntN(len(own))] + own[rng.IntN(len(own))])
		}
		texts = append(texts, b.String())
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint("doc", i), "text": b.String()})
		lines = append(lines, string(line))
	}
	in := filepath.Join(dir, "long.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "real.db")
	r := salvo(t, "embed", in, "--host", host, "--model", model, "--db", db, "--json")
	if r.code != cli.ExitOK {
		t.Fatalf("salvo embed: exit %d\n%s", r.code, r.err)
	}
	var rep struct{ Embedded, Truncated, Chunked, Pieces int }
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Truncated != 0 || rep.Embedded != n || rep.Chunked != n {
		t.Fatalf("real Ollama: %+v; want %d embedded and chunked, 0 truncated\n%s", rep, n, r.err)
	}
	text := texts[target]
	tail := strings.Fields(text[len(text)*9/10:])
	query := strings.Join(tail[len(tail)-12:], " ")
	rs := searchJSON(t, "--host", host, "--db", db, "--k", "3", query)
	if len(rs) == 0 || rs[0].ID != fmt.Sprint("doc", target) || rs[0].Chunk == nil {
		t.Fatalf("real Ollama: the tail of doc%d found %+v", target, rs)
	}
}
