package search

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/vecindex"
)

// ChunkHit is the piece of a long record that matched best: its number,
// its byte offsets in the record's rendered text, and its text.
type ChunkHit struct {
	Index int    `json:"index"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// pieceRow says which record and piece a row of the index holds.
type pieceRow struct {
	id    string
	chunk *salvo.Chunk // nil: a whole record
}

// hasPieces reports whether the collection holds pieces of long records.
func hasPieces(ctx context.Context, st salvo.Store, name string) (bool, error) {
	cr, ok := st.(salvo.ChunkReader)
	if !ok {
		return false, nil
	}
	found := errors.New("found")
	err := cr.EachChunk(ctx, name, func(string, salvo.Chunk, []float32) error { return found })
	if errors.Is(err, found) {
		return true, nil
	}
	return false, err
}

// withPieces replaces, in the rows read from the store, each chunked
// record's row by one row per piece. Rows of pieces get IDs of their own
// (the record's ID, a NUL byte and the piece's number); c.rows says which
// record and piece each row is. Without pieces nothing changes.
func (c *Collection) withPieces(ctx context.Context, ids []string, vecs []float32, dims int) ([]string, []float32, []pieceRow, error) {
	cr, ok := c.store.(salvo.ChunkReader)
	if !ok {
		return ids, vecs, nil, nil
	}
	var (
		pids   []string
		pvecs  []float32
		prows  []pieceRow
		pieced = map[string]bool{}
	)
	err := cr.EachChunk(ctx, c.Info.Name, func(id string, ch salvo.Chunk, v []float32) error {
		if len(v) != dims {
			return &salvo.DimensionError{Collection: c.Info.Name, Have: len(v), Want: dims}
		}
		pieced[id] = true
		pids = append(pids, id+"\x00"+strconv.Itoa(ch.Index))
		pvecs = append(pvecs, v...)
		prows = append(prows, pieceRow{id: id, chunk: &ch})
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load the pieces of collection %q: %w", c.Info.Name, err)
	}
	if len(pids) == 0 {
		return ids, vecs, nil, nil
	}
	outIDs := make([]string, 0, len(ids)+len(pids))
	outVecs := make([]float32, 0, len(vecs)+len(pvecs))
	rows := make([]pieceRow, 0, cap(outIDs))
	for i, id := range ids {
		if pieced[id] {
			continue
		}
		outIDs = append(outIDs, id)
		outVecs = append(outVecs, vecs[i*dims:(i+1)*dims]...)
		rows = append(rows, pieceRow{id: id})
	}
	return append(outIDs, pids...), append(outVecs, pvecs...), append(rows, prows...), nil
}

// recordOf is the record ID of row r of ix.
func (c *Collection) recordOf(ix *vecindex.Index, r int) string {
	if rows := c.rowsOf(ix); rows != nil {
		return rows[r].id
	}
	return ix.ID(r)
}

// rowsOf is the piece table of ix: nil when its rows are whole records.
func (c *Collection) rowsOf(ix *vecindex.Index) []pieceRow {
	switch ix {
	case c.index:
		return c.rows
	case c.exact:
		return c.exactRows
	}
	return nil
}

// recordRow is a row of record id: its own, or its first piece's.
func (c *Collection) recordRow(ix *vecindex.Index, id string) (int, bool) {
	if r, ok := ix.Row(id); ok {
		return r, true
	}
	if c.rowsOf(ix) != nil {
		return ix.Row(id + "\x000")
	}
	return 0, false
}

// fold ranks records by their best row: it asks search for more rows
// until k records are found or every row is ranked. With PerPiece, or
// without pieces, rows are results as they are.
func (c *Collection) fold(ix *vecindex.Index, search func(q []float32, k int, skip func(int) bool) []vecindex.Match, q []float32, k int, skip func(int) bool) ([]salvo.Hit, []*salvo.Chunk) {
	rows := c.rowsOf(ix)
	if rows == nil || c.PerPiece {
		ms := search(q, k, skip)
		hits := make([]salvo.Hit, len(ms))
		chunks := make([]*salvo.Chunk, len(ms))
		for i, m := range ms {
			hits[i] = salvo.Hit{ID: c.recordOf(ix, m.Row), Score: m.Score}
			if rows != nil {
				chunks[i] = rows[m.Row].chunk
			}
		}
		return hits, chunks
	}
	for n := 4 * k; ; n *= 2 {
		ms := search(q, n, skip)
		var (
			hits   []salvo.Hit
			chunks []*salvo.Chunk
			seen   = map[string]bool{}
		)
		for _, m := range ms { // best first: a record's first row is its best
			pr := rows[m.Row]
			if seen[pr.id] {
				continue
			}
			seen[pr.id] = true
			hits = append(hits, salvo.Hit{ID: pr.id, Score: m.Score})
			chunks = append(chunks, pr.chunk)
			if len(hits) == k {
				break
			}
		}
		if len(hits) == k || len(ms) < n || n >= ix.Len() {
			return hits, chunks
		}
	}
}

// addChunks fills in the piece of each result that came from one.
func (c *Collection) addChunks(ctx context.Context, out []Result, chunks []*salvo.Chunk) error {
	cr, ok := c.store.(salvo.ChunkReader)
	if !ok {
		return nil
	}
	for i, ch := range chunks {
		if ch == nil || i >= len(out) {
			continue
		}
		text, err := cr.ChunkText(ctx, c.Info.Name, out[i].ID, ch.Index)
		if err != nil {
			return err
		}
		if ch.Index == 0 {
			text = trimPrefix(text, c.Info.Prefix)
		}
		out[i].Chunk = &ChunkHit{Index: ch.Index, Start: ch.Start, End: ch.End, Text: text}
	}
	return nil
}

func trimPrefix(s, prefix string) string {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}
