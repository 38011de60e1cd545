package dbcatalog

import (
	"context"
	"fmt"
	"sync"

	"github.com/salvoembed/salvo"
)

// Wrap returns st with the write-back in front: every Put first writes its
// items' vectors into the user's column (one transaction), then stores
// them. Writing back first means the store never holds a record as done
// that the user's table lacks, whenever the process stops. Lookup reports
// a record that is stored but whose row does not hold the stored vector
// (none, or another one) as Cached, so that it is written back without a
// request: the table and the store end up holding the same vector.
//
// The pieces of a long record go into <table>_chunks, or
// <table>_<column>_chunks (see [WriteBack.CheckChunks]), and the record's
// row gets the mean of their vectors, weighted by the pieces' lengths in bytes, at unit length, once
// all its pieces are written; the pieces a record no longer has are
// deleted, all of them when it fits in one piece again.
func (w *WriteBack) Wrap(st salvo.Store) (salvo.Store, error) {
	vr, ok := st.(salvo.CacheReader)
	if !ok {
		return nil, fmt.Errorf("write-back: the store %T cannot give back cached vectors (it is no VectorReader)", st)
	}
	return &wrapped{Store: st, w: w, vr: vr}, nil
}

type wrapped struct {
	salvo.Store
	w      *WriteBack
	vr     salvo.CacheReader
	states chunkStates
	// mu serialises the write-back's side of Lookup and Put (and states): the engine
	// calls them from different goroutines, and both read what the
	// write-back learns of the user's column (its type, once created).
	mu sync.Mutex
}

func (s *wrapped) Lookup(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	if err := s.Store.Lookup(ctx, collection, items, out); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.lookupPieces(ctx, items, out); err != nil {
		return err
	}
	var keys []salvo.Key
	for i, it := range items {
		if out[i] == salvo.Stored && it.Chunk == nil {
			keys = append(keys, it.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	vecs, err := s.vr.CachedVectors(ctx, keys)
	if err != nil {
		return err
	}
	var (
		ids     []string
		vectors [][]float32
	)
	for i, it := range items {
		if v := vecs[it.Key]; out[i] == salvo.Stored && v != nil && it.Chunk == nil {
			ids, vectors = append(ids, it.ID), append(vectors, v)
		}
	}
	differ, err := s.w.differing(ctx, ids, vectors)
	if err != nil {
		return err
	}
	for i, it := range items {
		if out[i] == salvo.Stored && it.Chunk == nil && differ[it.ID] {
			out[i] = salvo.Cached
		}
	}
	return nil
}

func (s *wrapped) Put(ctx context.Context, collection string, entries []salvo.Entry, items []salvo.Item) error {
	vecs := make(map[salvo.Key][]float32, len(entries))
	for _, e := range entries {
		vecs[e.Key] = e.Vector
	}
	var need []salvo.Key
	for _, it := range items {
		if _, ok := vecs[it.Key]; !ok {
			need = append(need, it.Key)
			vecs[it.Key] = nil
		}
	}
	if len(need) > 0 {
		got, err := s.vr.CachedVectors(ctx, need)
		if err != nil {
			return err
		}
		for k, v := range got {
			vecs[k] = v
		}
	}
	if err := s.writeBack(ctx, items, vecs); err != nil {
		return err
	}
	return s.Store.Put(ctx, collection, entries, items)
}

// writeBack writes items' vectors into the user's table. A piece of a long
// record is never written into the record's row: the row gets the vector
// of all its pieces, once they are written.
func (s *wrapped) writeBack(ctx context.Context, items []salvo.Item, vecs map[salvo.Key][]float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, vectors, err := s.putPieces(ctx, items, vecs)
	if err != nil {
		return err
	}
	return s.w.Write(ctx, ids, vectors)
}
