package dbcatalog

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/salvoembed/salvo"
)

// The pieces of long records. A record cut into pieces has one vector per
// piece: they go into <table>_chunks (or <table>_<column>_chunks, see
// chunktable.go), beside the user's table, keyed by (id, chunk) with the
// piece's byte offsets; the user's row gets one vector that stands for the
// whole record, the mean of its pieces' vectors weighted by their lengths
// in bytes, at unit length. A record whose
// pieces are not all written (one failed) keeps the vector its row had.

// ChunkTableError is a <table>_chunks (or <table>_<column>_chunks) that
// exists and is not the table of pieces a write-back creates for the
// column: salvo neither writes into it nor drops it.
type ChunkTableError struct {
	Table  string // the table, as in SQL
	DB     string // the database
	Reason string // what differs, e.g. "it has no column \"end\""
	Want   string // the columns salvo's table of pieces has
}

func (e *ChunkTableError) Error() string {
	return fmt.Sprintf("table %s in %s is not a table of pieces of the write-back (%s): its columns must be %s", e.Table, e.DB, e.Reason, e.Want)
}

// chunkCols are the columns of <table>_chunks besides the vector's.
var chunkCols = []string{"id", "chunk", "start", "end"}

// chunkTable is the table of the pieces, quoted and qualified:
// <table>_chunks until CheckChunks chose.
func (w *WriteBack) chunkTable() string {
	return w.qualified(w.chunkTableName())
}

// chunkTableName is chunkTable unquoted and unqualified.
func (w *WriteBack) chunkTableName() string {
	if w.chunkName == "" {
		return w.t.Table + "_chunks"
	}
	return w.chunkName
}

// chunkError is table name (unqualified) refused as the table of pieces.
func (w *WriteBack) chunkError(name, reason string) error {
	return &ChunkTableError{Table: w.qualified(name), DB: w.db.where, Reason: reason,
		Want: fmt.Sprintf(`id (the type of %s), chunk, start, "end" (integers), %s (the type of %s), primary key (id, chunk)`, w.idCol, w.t.Column, w.t.Column)}
}

// CheckChunks prepares the write-back for records cut into pieces: it
// chooses the table of the column's pieces, <table>_chunks or, when that
// holds another column's pieces, <table>_<column>_chunks (see
// [WriteBack.ChunkTable]). It fails with a *[ChunkTableError] when the
// table it chose exists and is not one this package created for the
// column, with a *[NameTooLongError] when the database would cut the
// table's name short, or with a *[TargetError] when the vector column's
// name is one of the table's other columns. A missing table is created
// when the first piece is written. Call it before any vector is computed;
// Wrap's Lookup and Put check it otherwise at the first piece.
func (w *WriteBack) CheckChunks(ctx context.Context) error {
	if w.chunksChecked {
		return nil
	}
	if slices.Contains(chunkCols, strings.ToLower(w.t.Column)) {
		return &TargetError{Target: w.t.String(), DB: w.db.where, Reason: fmt.Sprintf("the pieces of long records go into a table whose columns id, chunk, start and \"end\" leave no room for a vector column named %s", w.t.Column)}
	}
	if w.db.pool == nil {
		idType, err := w.idTypeSQLite(ctx)
		if err != nil {
			return w.dbError(err)
		}
		w.idType = idType
	}
	if err := w.resolveChunks(ctx); err != nil {
		return err
	}
	w.chunksChecked = true
	return nil
}

// chunkState is what a run knows of a record cut into pieces: how many
// it has, and which of them <table>_chunks holds already as they are.
type chunkState struct {
	count int
	have  []bool
	wrote bool // a piece of it was written in this run
}

func (s *chunkState) done() bool {
	for _, h := range s.have {
		if !h {
			return false
		}
	}
	return true
}

// pieceRow is a row of <table>_chunks.
type pieceRow struct {
	id         string
	chunk      int
	start, end int
	vec        []float32
}

// chunkStates tracks the records cut into pieces in flight. Lookup and Put
// run in different goroutines: their write-back side holds wrapped.mu.
type chunkStates struct {
	m map[string]*chunkState
}

// of returns id's state for a record of count pieces, a new one when the
// record had another count.
func (c *chunkStates) of(id string, count int) *chunkState {
	if c.m == nil {
		c.m = map[string]*chunkState{}
	}
	s := c.m[id]
	if s == nil || s.count != count {
		s = &chunkState{count: count, have: make([]bool, count)}
		c.m[id] = s
	}
	return s
}

// recordVector is the vector that stands for a record cut into pieces:
// the mean of the pieces' vectors, each weighted by the piece's length in
// bytes, at unit length; nil when the pieces are not all there (rows of
// pieces 0..count-1 in order).
func recordVector(rows []pieceRow, count int) []float32 {
	if len(rows) != count || count == 0 {
		return nil
	}
	sum := make([]float64, len(rows[0].vec))
	for i, r := range rows {
		if r.chunk != i || len(r.vec) != len(sum) {
			return nil
		}
		wt := float64(max(r.end-r.start, 1))
		for j, x := range r.vec {
			sum[j] += wt * float64(x)
		}
	}
	var norm float64
	for _, x := range sum {
		norm += x * x
	}
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil
	}
	norm = math.Sqrt(norm)
	out := make([]float32, len(sum))
	for j, x := range sum {
		out[j] = float32(x / norm)
	}
	return out
}

// byID groups rows (in id, chunk order) by ID.
func byID(rows []pieceRow) map[string][]pieceRow {
	m := map[string][]pieceRow{}
	for _, r := range rows {
		m[r.id] = append(m[r.id], r)
	}
	return m
}

// readPieces reads the rows of <table>_chunks of ids, by ID then piece.
func (w *WriteBack) readPieces(ctx context.Context, ids []string) ([]pieceRow, error) {
	if len(ids) == 0 || !w.chunksExist {
		return nil, nil
	}
	if w.db.pool != nil {
		return readPiecesPostgres(ctx, w.db.pool, w, ids)
	}
	return readPiecesSQLite(ctx, w.db.lite, w, ids)
}

// pieceChange is a write of <table>_chunks: rows to upsert, and the IDs
// whose pieces from keep[id] on are to go (0: all of them).
type pieceChange struct {
	rows []pieceRow
	keep map[string]int
}

// writePieces applies c in one transaction, creating the user's column
// and <table>_chunks first when missing. It returns, for the IDs in done,
// the rows of <table>_chunks after the write, and the IDs of which it
// wrote a piece (one that was missing or differed).
func (w *WriteBack) writePieces(ctx context.Context, c pieceChange, done []string) (rows []pieceRow, wrote map[string]bool, err error) {
	if len(c.rows) == 0 && !w.chunksExist {
		// Only pieces to delete: none when no table holds this column's
		// pieces (a table salvo would refuse is not touched).
		err := w.refreshChunksExist(ctx)
		var dbErr *WriteBackError
		if err != nil && !errors.As(err, &dbErr) {
			return nil, nil, nil
		}
		if err != nil || !w.chunksExist {
			return nil, nil, err
		}
	}
	if len(c.rows) > 0 {
		if !w.chunksExist {
			w.chunksChecked = false // choose again: another run may have made a table since
		}
		if err := w.CheckChunks(ctx); err != nil {
			return nil, nil, err
		}
		if err := w.CheckDims(len(c.rows[0].vec)); err != nil {
			return nil, nil, err
		}
	}
	wrote = map[string]bool{}
	if w.db.pool != nil {
		rows, err = w.writePiecesPostgres(ctx, c, done, wrote)
	} else {
		rows, err = w.writePiecesSQLite(ctx, c, done, wrote)
	}
	if err != nil {
		return nil, nil, w.dbError(err)
	}
	if len(c.rows) > 0 {
		w.dims = len(c.rows[0].vec)
	}
	return rows, wrote, nil
}

// refreshChunksExist chooses the table of the pieces again while it is
// missing (another process may have created it, or another column's).
func (w *WriteBack) refreshChunksExist(ctx context.Context) error {
	w.chunksChecked = false
	return w.CheckChunks(ctx)
}

// lookupPieces is Wrap's Lookup for pieces: a piece the store holds is
// Stored only when <table>_chunks holds it too, with the same offsets and
// vector; a record all of whose pieces are so is Stored only when its row
// holds the vector of its pieces (else one piece is Cached, so its Put
// writes the row again).
func (s *wrapped) lookupPieces(ctx context.Context, items []salvo.Item, out []salvo.Presence) error {
	var keys []salvo.Key
	ids := map[string]bool{}
	for i, it := range items {
		if it.Chunk != nil {
			ids[it.ID] = true
			if out[i] == salvo.Stored {
				keys = append(keys, it.Key)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var vecs map[salvo.Key][]float32
	var rows map[string][]pieceRow
	if len(keys) > 0 {
		var err error
		if vecs, err = s.vr.CachedVectors(ctx, keys); err != nil {
			return err
		}
		if !s.w.chunksChecked || !s.w.chunksExist {
			if err := s.w.refreshChunksExist(ctx); err != nil {
				return err
			}
		}
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		slices.Sort(list)
		got, err := s.w.readPieces(ctx, list)
		if err != nil {
			return s.w.dbError(err)
		}
		rows = byID(got)
	}
	last := map[string]int{} // the last Stored piece of each record, by item
	for i, it := range items {
		c := it.Chunk
		if c == nil {
			continue
		}
		st := s.states.of(it.ID, c.Count)
		if out[i] != salvo.Stored {
			continue
		}
		if pieceMatches(rows[it.ID], c, vecs[it.Key]) {
			st.have[c.Index] = true
			last[it.ID] = i
		} else {
			out[i] = salvo.Cached
		}
	}
	var whole []string
	var means [][]float32
	for id, i := range last {
		st := s.states.m[id]
		if !st.done() {
			continue
		}
		v := recordVector(rows[id], st.count)
		if v == nil { // extra pieces in the table: Put deletes them
			out[i], st.have[items[i].Chunk.Index] = salvo.Cached, false
			continue
		}
		whole, means = append(whole, id), append(means, v)
	}
	differ, err := s.w.differing(ctx, whole, means)
	if err != nil {
		return err
	}
	for _, id := range whole {
		if differ[id] {
			i := last[id]
			out[i], s.states.m[id].have[items[i].Chunk.Index] = salvo.Cached, false
		} else {
			delete(s.states.m, id)
		}
	}
	return nil
}

// pieceMatches reports whether rows (a record's, in piece order) hold
// piece c with vector v.
func pieceMatches(rows []pieceRow, c *salvo.Chunk, v []float32) bool {
	if v == nil || c.Index >= len(rows) {
		return false
	}
	r := rows[c.Index]
	return r.chunk == c.Index && r.start == c.Start && r.end == c.End && slices.Equal(r.vec, v)
}

// putPieces is Wrap's Put for pieces and whole records (vectors by item):
// it writes the pieces into <table>_chunks, deletes the pieces records no
// longer have, and returns the rows to write into the user's table: the
// whole records' vectors and, for each record whose pieces are now all
// written, the vector of its pieces.
func (s *wrapped) putPieces(ctx context.Context, items []salvo.Item, vecs map[salvo.Key][]float32) (ids []string, vectors [][]float32, err error) {
	c := pieceChange{keep: map[string]int{}}
	at := map[[2]any]int{} // (id, chunk) → row, the last one given wins
	for _, it := range items {
		v := vecs[it.Key]
		if v == nil {
			continue
		}
		if it.Chunk == nil {
			ids, vectors = append(ids, it.ID), append(vectors, v)
			c.keep[it.ID] = 0
			continue
		}
		r := pieceRow{id: it.ID, chunk: it.Chunk.Index, start: it.Chunk.Start, end: it.Chunk.End, vec: v}
		c.keep[it.ID] = it.Chunk.Count
		if j, ok := at[[2]any{it.ID, r.chunk}]; ok {
			c.rows[j] = r
			continue
		}
		at[[2]any{it.ID, r.chunk}] = len(c.rows)
		c.rows = append(c.rows, r)
	}
	if len(c.rows) == 0 && len(c.keep) == 0 {
		return ids, vectors, nil
	}
	var done []string
	for _, it := range items {
		if it.Chunk == nil || vecs[it.Key] == nil {
			continue
		}
		st := s.states.of(it.ID, it.Chunk.Count)
		st.have[it.Chunk.Index] = true
		if st.done() && !slices.Contains(done, it.ID) {
			done = append(done, it.ID)
		}
	}
	rows, wrote, err := s.w.writePieces(ctx, c, done)
	if err != nil {
		return nil, nil, err
	}
	for id := range wrote {
		if st := s.states.m[id]; st != nil && !st.wrote {
			st.wrote = true
			s.w.ChunkedRecords++
		}
	}
	got := byID(rows)
	for _, id := range done {
		if v := recordVector(got[id], s.states.m[id].count); v != nil {
			ids, vectors = append(ids, id), append(vectors, v)
		}
		delete(s.states.m, id)
	}
	return ids, vectors, nil
}
