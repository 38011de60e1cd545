package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/salvoembed/salvo"
)

var _ salvo.Searcher = (*Store)(nil)

// Search returns the k items of the collection nearest to query by cosine
// distance, best first, with their cosine similarity. With pgvector it
// runs in the database, on the collection's HNSW index once [Store.Index]
// has built it (approximate, as HNSW is: it may miss a true neighbour now
// and then), exactly before; without pgvector it returns an error
// wrapping errors.ErrUnsupported, and the caller searches exactly.
func (s *Store) Search(ctx context.Context, collection string, query []float32, k int, exclude string) ([]salvo.Hit, error) {
	if !s.vec {
		return nil, fmt.Errorf("search in %s: vectors are stored without pgvector: %w", s.where, errors.ErrUnsupported)
	}
	if k <= 0 {
		return nil, nil
	}
	// The rows come back one by one (no allocation for k); k is bounded
	// so that k+1 below cannot overflow.
	k = min(k, math.MaxInt32)
	var hits []salvo.Hit
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cid, dims, err := s.collection(ctx, tx, collection, false)
		if err != nil {
			return err
		}
		if dims == 0 {
			return nil // nothing stored yet
		}
		if len(query) != dims {
			return &salvo.DimensionError{Collection: collection, Have: len(query), Want: dims}
		}
		// HNSW returns at most ef_search candidates (40 by default).
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL hnsw.ef_search = %d", min(max(40, k), 1000))); err != nil {
			return err
		}
		limit := k
		if exclude != "" {
			limit++ // the excluded item may be among the k best
		}
		rows, err := tx.Query(ctx, s.q.search(cid, dims, quoteIdent(s.srv.VectorSchema)), pgvector.NewVector(query), limit)
		if err != nil {
			return err
		}
		hits, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (salvo.Hit, error) {
			var (
				h     salvo.Hit
				score float64
			)
			err := r.Scan(&h.ID, &score)
			h.Score = float32(score)
			return h, err
		})
		return err
	})
	var de *salvo.DimensionError
	if errors.As(err, &de) || errors.Is(err, salvo.ErrNoCollection) {
		return nil, err
	}
	if err != nil {
		return nil, s.wrap(err, "search collection %q", collection)
	}
	if exclude != "" {
		hits = slices.DeleteFunc(hits, func(h salvo.Hit) bool { return h.ID == exclude })
	}
	return hits[:min(k, len(hits))], nil
}

// MaxIndexDims is the most dimensions pgvector's HNSW index takes; searches
// of collections with more are exact scans in the database.
const MaxIndexDims = 2000

// indexOnce is [Store.Index] without its retries.
func (s *Store) indexOnce(ctx context.Context, collection string) error {
	if !s.vec {
		return nil
	}
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("index collection %q", collection))
	}
	cid, dims, err := s.collection(ctx, s.pool, collection, false)
	if err != nil || dims == 0 || dims > MaxIndexDims {
		return err
	}
	if _, err := s.pool.Exec(ctx, s.q.hnswIndex(cid, dims, quoteIdent(s.srv.VectorSchema))); err != nil {
		return s.wrap(err, "build the HNSW index of collection %q", collection)
	}
	// Without statistics (PGlite runs no autovacuum; a server's comes
	// later) the planner takes the collection for a few rows and sorts
	// them all rather than use the index: count the rows now.
	if _, err := s.pool.Exec(ctx, "ANALYZE "+s.q.s+".items (collection_id)"); err != nil {
		return s.wrap(err, "gather statistics of the items of collection %q", collection)
	}
	return nil
}
