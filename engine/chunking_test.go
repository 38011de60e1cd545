package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
)

// longDoc is a document of n words drawn from a vocabulary of 20,000, in
// sentences of 6 to 14 words and paragraphs of 3 to 6 sentences.
func longDoc(rng *rand.Rand, n int) string {
	var b strings.Builder
	for w, s := 0, 0; w < n; {
		words := 6 + rng.IntN(9)
		for i := 0; i < words && w < n; i, w = i+1, w+1 {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "w%05d", rng.IntN(20000))
		}
		b.WriteString(". ")
		if s++; s%(3+rng.IntN(4)) == 0 {
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// bestRecord returns the record whose best piece (or whole vector) is
// nearest to q, and each record's best score.
func bestRecord(t *testing.T, st salvo.Store, coll string, q []float32) (string, map[string]float64) {
	t.Helper()
	best, bestID := -2.0, ""
	scores := map[string]float64{}
	score := func(id string, v []float32) {
		s := 0.0
		for i := range v {
			s += float64(v[i]) * float64(q[i])
		}
		if old, ok := scores[id]; !ok || s > old {
			scores[id] = s
		}
		if s > best {
			best, bestID = s, id
		}
	}
	ctx := context.Background()
	chunked := map[string]bool{}
	if err := st.(salvo.ChunkReader).EachChunk(ctx, coll, func(id string, _ salvo.Chunk, v []float32) error {
		chunked[id] = true
		score(id, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Each(ctx, coll, func(id string, v []float32) error {
		if !chunked[id] {
			score(id, v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return bestID, scores
}

// TestChunkFindsTail: a dozen words from the last tenth of a document
// longer than 4 contexts find that document with chunking; without it the
// server cuts the document and the same query finds another.
func TestChunkFindsTail(t *testing.T) {
	const ctxTokens, docs = 64, 20
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]engine.Input, docs)
	for i := range in {
		in[i] = engine.Input{ID: fmt.Sprint("doc", i), Text: longDoc(rng, 5*ctxTokens+rng.IntN(3*ctxTokens)), Where: fmt.Sprint("t:", i+1)}
	}
	target := in[17].Text
	tail := strings.Fields(target[len(target)*9/10:])
	query := strings.Join(tail[len(tail)-12:], " ")

	for _, mode := range []struct {
		name  string
		chunk int
	}{{"auto", engine.ChunkAuto}, {"off", 0}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t, ollamatest.Config{ContextTokens: ctxTokens, Words: true})
			cfg := e.config()
			cfg.Key.Truncate = true
			cfg.ContextTokens = ctxTokens
			cfg.Chunk = mode.chunk
			rep := e.run(cfg, in)
			if rep.Failed != 0 {
				t.Fatalf("%d failed: %v", rep.Failed, e.fails.list())
			}
			got, scores := bestRecord(t, e.st, e.coll, e.srv.Embedding(model, query))
			if mode.chunk == 0 {
				if rep.Truncated != docs || rep.Chunked != 0 {
					t.Fatalf("chunking off: %d truncated, %d chunked; want %d, 0", rep.Truncated, rep.Chunked, docs)
				}
				// The words of the tail never reached a vector: doc17 scores
				// as any other document (noise, about 1/sqrt(dims)).
				if scores["doc17"] > 0.3 {
					t.Fatalf("chunking off: the tail of a truncated document scores %.3f", scores["doc17"])
				}
				return
			}
			if rep.Truncated != 0 || rep.Chunked != docs || rep.Embedded != docs {
				t.Fatalf("chunk auto: %d truncated, %d chunked, %d embedded; want 0, %d, %d", rep.Truncated, rep.Chunked, rep.Embedded, docs, docs)
			}
			if rep.Pieces < 5*docs {
				t.Fatalf("%d pieces for %d documents over 5 contexts long", rep.Pieces, docs)
			}
			if got != "doc17" || scores["doc17"] < 0.3 {
				t.Fatalf("the query %q found %s first, want doc17 (its score %.3f)", query, got, scores["doc17"])
			}
			if n := len(e.stored()); n != docs {
				t.Fatalf("%d records stored, want %d", n, docs)
			}
		})
	}
}

// TestChunkEditReembedsChangedPieces: an edit near the end of a long
// document sends only the pieces that changed; the rest are stored.
func TestChunkEditReembedsChangedPieces(t *testing.T) {
	const ctxTokens = 64
	rng := rand.New(rand.NewPCG(3, 4))
	e := newEnv(t, ollamatest.Config{ContextTokens: ctxTokens, Words: true})
	cfg := e.config()
	cfg.ContextTokens = ctxTokens
	cfg.Chunk = engine.ChunkAuto
	in := []engine.Input{{ID: "a", Text: longDoc(rng, 8*ctxTokens), Where: "t:1"}, {ID: "b", Text: longDoc(rng, 20), Where: "t:2"}}
	rep := e.run(cfg, in)
	if rep.Chunked != 1 || rep.Pieces < 8 || rep.Failed != 0 {
		t.Fatalf("first run: %d chunked, %d pieces, %d failed", rep.Chunked, rep.Pieces, rep.Failed)
	}
	before := e.srv.Inputs()
	// Change the last word but one.
	text := in[0].Text
	i := strings.LastIndex(strings.TrimRight(text, ". \n"), " ")
	in[0].Text = text[:i] + " changed" + text[i+len(" w00000"):]
	rep = e.run(cfg, in)
	sent := e.srv.Inputs() - before
	if sent < 1 || sent > 2 {
		t.Fatalf("an edit at the end sent %d pieces, want 1 or 2 (of %d)", sent, rep.Pieces)
	}
	if rep.Embedded != 1 || rep.Unchanged != 1 {
		t.Fatalf("second run: %d embedded, %d unchanged; want 1, 1", rep.Embedded, rep.Unchanged)
	}
	// Unchanged: nothing is sent.
	before = e.srv.Inputs()
	rep = e.run(cfg, in)
	if sent := e.srv.Inputs() - before; sent != 0 || rep.Unchanged != 2 {
		t.Fatalf("third run: %d sent, %d unchanged; want 0, 2", sent, rep.Unchanged)
	}
}

// TestChunkTokens: --chunk N cuts every text longer than N tokens, with
// truncation off in the request: nothing is refused.
func TestChunkTokens(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	e := newEnv(t, ollamatest.Config{ContextTokens: 512, Words: true})
	cfg := e.config()
	cfg.ContextTokens = 512
	cfg.Chunk = 40
	cfg.ChunkOverlap = -1
	in := []engine.Input{{ID: "long", Text: longDoc(rng, 200), Where: "t:1"}, {ID: "short", Text: "w00001 w00002", Where: "t:2"}}
	rep := e.run(cfg, in)
	if rep.Failed != 0 || rep.Chunked != 1 || rep.Embedded != 2 {
		t.Fatalf("%d failed, %d chunked, %d embedded; want 0, 1, 2", rep.Failed, rep.Chunked, rep.Embedded)
	}
	var pieces []salvo.Chunk
	if err := e.st.EachChunk(context.Background(), e.coll, func(id string, c salvo.Chunk, _ []float32) error {
		if id != "long" {
			t.Errorf("piece of %q", id)
		}
		pieces = append(pieces, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if int64(len(pieces)) != rep.Pieces {
		t.Fatalf("%d pieces stored, %d reported", len(pieces), rep.Pieces)
	}
	for i, c := range pieces {
		if i > 0 && c.Start != pieces[i-1].End {
			t.Fatalf("piece %d starts at %d, the previous ends at %d (overlap off)", i, c.Start, pieces[i-1].End)
		}
	}
}

// TestChunkRecutRefused: with truncation off, a piece the server refuses
// as longer than its context (the server counts more tokens than the
// estimate said) is cut again and embedded, never failed nor truncated;
// the pieces cut afterwards are smaller.
func TestChunkRecutRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	e := newEnv(t, ollamatest.Config{ContextTokens: 20, Words: true}) // the server's real context
	cfg := e.config()
	cfg.ContextTokens = 64 // what the run believes
	cfg.Chunk = engine.ChunkAuto
	cfg.BatchSize = 4
	no := false
	strict, err := ollama.New(e.srv.URL(), ollama.Options{Model: model, Truncate: &no})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hosts[0].Embedder = strict
	in := []engine.Input{{ID: "a", Text: longDoc(rng, 400), Where: "t:1"}, {ID: "b", Text: longDoc(rng, 400), Where: "t:2"}}
	rep := e.run(cfg, in)
	if rep.Failed != 0 || rep.Truncated != 0 || rep.Embedded != 2 {
		t.Fatalf("%d failed, %d truncated, %d embedded; want 0, 0, 2: %v", rep.Failed, rep.Truncated, rep.Embedded, e.fails.list())
	}
	if rep.Recut == 0 {
		t.Fatalf("no piece was cut again: %+v", rep)
	}
}
