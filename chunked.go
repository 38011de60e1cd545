package salvo

import (
	"context"
	"errors"
)

// Pieces of a record, in a store that implements the contract:
//
//   - Lookup of a piece is Stored when the collection holds piece
//     Chunk.Index of the ID with the same key and offsets, and the record
//     has no piece numbered Chunk.Count or above; Cached when the key is
//     cached; Missing otherwise.
//   - Put of a piece stores it under (ID, Chunk.Index) and deletes the
//     record's pieces numbered Chunk.Count or above. Put of piece 0 also
//     stores the record itself (its item points at piece 0's vector and
//     keeps the item's Fields), so the record counts once in
//     Collection.Count, and DocReader, Each and Pruner see it. Put of a
//     whole record deletes the pieces the record had.

// ChunkReader reads the pieces of a collection's chunked records. A store
// that stores pieces implements it; search ranks records by their best
// piece through it.
type ChunkReader interface {
	// EachChunk calls fn for every piece of the collection, in ID order
	// (byte order), then by piece number, with a vector fn may keep. It
	// stops at the first error fn returns and returns that error.
	EachChunk(ctx context.Context, collection string, fn func(id string, c Chunk, v []float32) error) error
	// ChunkText returns the text of piece index of record id; an error
	// wrapping [ErrNoChunk] when there is no such piece.
	ChunkText(ctx context.Context, collection, id string, index int) (string, error)
}

// ErrNoChunk is returned for a piece a collection does not hold.
var ErrNoChunk = errors.New("no such piece")

// SplitPieces returns the whole records of items and their pieces, each in
// the order given; a store's Put and Lookup use it.
func SplitPieces(items []Item) (whole, pieces []Item, wholeAt, pieceAt []int) {
	for i, it := range items {
		if it.Chunk == nil {
			whole, wholeAt = append(whole, it), append(wholeAt, i)
		} else {
			pieces, pieceAt = append(pieces, it), append(pieceAt, i)
		}
	}
	return whole, pieces, wholeAt, pieceAt
}

// LookupWhole answers the whole records among items with lookup (a store's
// Lookup of whole records), each into its place in out, and returns the
// pieces with their places in out, for the store to answer; the stores'
// Lookup of a batch that holds pieces uses it.
func LookupWhole(ctx context.Context, items []Item, out []Presence, lookup func(context.Context, []Item, []Presence) error) (pieces []Item, pieceAt []int, err error) {
	whole, pieces, wholeAt, pieceAt := SplitPieces(items)
	if len(whole) > 0 {
		wout := make([]Presence, len(whole))
		if err := lookup(ctx, whole, wout); err != nil {
			return nil, nil, err
		}
		for i, p := range wout {
			out[wholeAt[i]] = p
		}
	}
	return pieces, pieceAt, nil
}
