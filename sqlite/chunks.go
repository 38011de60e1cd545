package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/salvoembed/salvo"
)

var _ salvo.ChunkReader = (*Store)(nil)

func hasPieces(items []salvo.Item) bool {
	for i := range items {
		if items[i].Chunk != nil {
			return true
		}
	}
	return false
}

// recordsOf splits the items of a Put into whole records and pieces.
func (s *Store) recordsOf(items []salvo.Item) (whole, pieces []salvo.Item) {
	if !hasPieces(items) {
		return items, nil
	}
	whole, pieces, _, _ = salvo.SplitPieces(items)
	return whole, pieces
}

// records returns the record item of each piece numbered 0: it points at
// that piece's vector and keeps the record's fields.
func records(pieces []salvo.Item) []salvo.Item {
	var out []salvo.Item
	for _, p := range pieces {
		if p.Chunk.Index == 0 {
			p.Chunk = nil
			out = append(out, p)
		}
	}
	return out
}

// dropPieces deletes the pieces of records now stored whole.
func (s *Store) dropPieces(ctx context.Context, tx *sql.Tx, cid int64, whole []salvo.Item) error {
	if len(whole) == 0 {
		return nil
	}
	var some bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM chunks WHERE collection_id = ?)`, cid).Scan(&some); err != nil || !some {
		return err
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM chunks WHERE collection_id = ? AND id = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, it := range whole {
		if _, err := del.ExecContext(ctx, cid, it.ID); err != nil {
			return fmt.Errorf("record %q: %w", it.ID, err)
		}
	}
	return nil
}

// putPieces stores pieces (their vectors are among cacheIDs or in the
// cache) and deletes the pieces of their records numbered past the count.
func (s *Store) putPieces(ctx context.Context, tx *sql.Tx, cid int64, collection string, pieces []salvo.Item, cacheIDs map[salvo.Key]int64, want *int, missing **salvo.NotCachedError) error {
	if len(pieces) == 0 {
		return nil
	}
	put, err := tx.PrepareContext(ctx, `INSERT INTO chunks (collection_id, id, chunk, start, "end", cache_id) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (collection_id, id, chunk) DO UPDATE SET start = excluded.start, "end" = excluded."end", cache_id = excluded.cache_id`)
	if err != nil {
		return err
	}
	defer put.Close()
	trim, err := tx.PrepareContext(ctx, `DELETE FROM chunks WHERE collection_id = ? AND id = ? AND chunk >= ?`)
	if err != nil {
		return err
	}
	defer trim.Close()
	byKey := tx.StmtContext(ctx, s.st.cacheByKey)
	for _, p := range pieces {
		c := p.Chunk
		id, ok := cacheIDs[p.Key]
		if !ok {
			var d int
			err := byKey.QueryRowContext(ctx, p.Key[:]).Scan(&id, &d)
			if errors.Is(err, sql.ErrNoRows) {
				// Removed by Collect since a lookup found it (as for
				// whole records in put): say which, and store nothing.
				if *missing == nil {
					*missing = &salvo.NotCachedError{Collection: collection}
				}
				if !slices.Contains((*missing).Keys, p.Key) {
					(*missing).Keys = append((*missing).Keys, p.Key)
				}
				continue
			}
			if err != nil {
				return err
			}
			if *want == 0 {
				*want = d
			}
			if d != *want {
				return &salvo.DimensionError{Collection: collection, Have: d, Want: *want}
			}
			cacheIDs[p.Key] = id
		}
		if _, err := put.ExecContext(ctx, cid, p.ID, c.Index, c.Start, c.End, id); err != nil {
			return fmt.Errorf("piece %d of item %q: %w", c.Index, p.ID, err)
		}
		if _, err := trim.ExecContext(ctx, cid, p.ID, c.Count); err != nil {
			return fmt.Errorf("piece %d of item %q: %w", c.Index, p.ID, err)
		}
	}
	return nil
}

// lookupMixed answers a Lookup that holds pieces: whole records as usual,
// then each piece with one query, and one more when it is not stored.
func (s *Store) lookupMixed(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	whole, pieces, wholeAt, pieceAt := salvo.SplitPieces(items)
	if len(whole) > 0 {
		wout := make([]salvo.Presence, len(whole))
		if err := s.Lookup(ctx, collection, whole, wout); err != nil {
			return err
		}
		for i, p := range wout {
			out[wholeAt[i]] = p
		}
	}
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return err
	}
	for i, p := range pieces {
		c := p.Chunk
		var (
			key        []byte
			start, end int
			extra      bool
			pr         = salvo.Missing
		)
		err := s.r.QueryRowContext(ctx, `SELECT c.key, ch.start, ch."end",
				EXISTS (SELECT 1 FROM chunks AS x WHERE x.collection_id = ?1 AND x.id = ?2 AND x.chunk >= ?4)
			FROM chunks AS ch JOIN cache AS c ON c.id = ch.cache_id
			WHERE ch.collection_id = ?1 AND ch.id = ?2 AND ch.chunk = ?3`, cid, p.ID, c.Index, c.Count).Scan(&key, &start, &end, &extra)
		switch {
		case err == nil && string(key) == string(p.Key[:]) && start == c.Start && end == c.End && !extra:
			pr = salvo.Stored
		case err == nil && string(key) == string(p.Key[:]):
			pr = salvo.Cached
		case err == nil || errors.Is(err, sql.ErrNoRows):
			var one int
			err := s.r.QueryRowContext(ctx, `SELECT 1 FROM cache WHERE key = ?`, p.Key[:]).Scan(&one)
			if err == nil {
				pr = salvo.Cached
			} else if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("lookup in collection %q of %s: %w", collection, s.path, err)
			}
		default:
			return fmt.Errorf("lookup in collection %q of %s: %w", collection, s.path, err)
		}
		out[pieceAt[i]] = pr
	}
	return nil
}

// EachChunk calls fn for every piece of the collection, by ID (byte order)
// then piece number, with a vector fn may keep.
func (s *Store) EachChunk(ctx context.Context, collection string, fn func(id string, c salvo.Chunk, v []float32) error) error {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT ch.id, ch.chunk, count(*) OVER (PARTITION BY ch.id), ch.start, ch."end", c.vector
		FROM chunks AS ch JOIN cache AS c ON c.id = ch.cache_id
		WHERE ch.collection_id = ? ORDER BY ch.id, ch.chunk`, cid)
	if err != nil {
		return fmt.Errorf("read the pieces of collection %q of %s: %w", collection, s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   string
			c    salvo.Chunk
			blob sql.RawBytes
		)
		if err := rows.Scan(&id, &c.Index, &c.Count, &c.Start, &c.End, &blob); err != nil {
			return fmt.Errorf("read the pieces of collection %q of %s: %w", collection, s.path, err)
		}
		v, err := decodeVector(blob)
		if err != nil {
			return fmt.Errorf("read piece %d of item %q of collection %q in %s: %w", c.Index, id, collection, s.path, err)
		}
		if err := fn(id, c, v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the pieces of collection %q of %s: %w", collection, s.path, err)
	}
	return nil
}

// ChunkText returns the text of piece index of record id.
func (s *Store) ChunkText(ctx context.Context, collection, id string, index int) (string, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return "", err
	}
	var text string
	err = s.r.QueryRowContext(ctx, `SELECT c.text FROM chunks AS ch JOIN cache AS c ON c.id = ch.cache_id
		WHERE ch.collection_id = ? AND ch.id = ? AND ch.chunk = ?`, cid, id, index).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("piece %d of item %q in collection %q of %s: %w", index, id, collection, s.path, salvo.ErrNoChunk)
	}
	if err != nil {
		return "", fmt.Errorf("read piece %d of item %q in collection %q of %s: %w", index, id, collection, s.path, err)
	}
	return text, nil
}
