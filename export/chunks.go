package export

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strconv"

	"github.com/salvoembed/salvo"
)

// PieceColumns are the columns a collection with pieces of long records
// (salvo embed --chunk) adds to every format: the piece's number and its
// byte offsets in the record's rendered text. Such a record has one row
// per piece; a whole record leaves them empty.
var PieceColumns = []string{"chunk", "start", "end"}

type piece struct {
	id string
	c  salvo.Chunk
	v  []float32
}

// pieces pulls a collection's pieces in (ID, number) order, as the
// records come.
type pieces struct {
	next func() (piece, bool)
	stop func()
	cur  piece
	ok   bool
	err  error
}

// openPieces returns the collection's pieces, or nil when it has none (or
// the store keeps none).
func openPieces(ctx context.Context, st salvo.Store, coll string) *pieces {
	cr, ok := st.(salvo.ChunkReader)
	if !ok {
		return nil
	}
	p := &pieces{}
	seq := iter.Seq[piece](func(yield func(piece) bool) {
		stop := errors.New("stop")
		err := cr.EachChunk(ctx, coll, func(id string, c salvo.Chunk, v []float32) error {
			if !yield(piece{id, c, v}) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			p.err = err
		}
	})
	p.next, p.stop = iter.Pull(seq)
	p.cur, p.ok = p.next()
	if !p.ok {
		p.stop()
		return nil
	}
	return p
}

// take returns the pieces of record id; records must be asked for in ID
// order.
func (p *pieces) take(id string) []piece {
	var out []piece
	for p.ok && p.cur.id < id {
		p.cur, p.ok = p.next()
	}
	for p.ok && p.cur.id == id {
		out = append(out, p.cur)
		p.cur, p.ok = p.next()
	}
	return out
}

func (p *pieces) close() error {
	if p == nil {
		return nil
	}
	p.stop()
	return p.err
}

// withPiece returns the fields m of a record with a piece's columns added.
func withPiece(m map[string]json.RawMessage, c salvo.Chunk) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m)+3)
	for k, v := range m {
		out[k] = v
	}
	out["chunk"] = json.RawMessage(strconv.Itoa(c.Index))
	out["start"] = json.RawMessage(strconv.Itoa(c.Start))
	out["end"] = json.RawMessage(strconv.Itoa(c.End))
	return out
}

// hasPieces reports whether the collection has pieces.
func hasPieces(ctx context.Context, st salvo.Store, coll string) (bool, error) {
	p := openPieces(ctx, st, coll)
	if p == nil {
		return false, nil
	}
	return true, p.close()
}
