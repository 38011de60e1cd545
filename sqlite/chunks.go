package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

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

// putPieces stores pieces (their vectors are among known or in the cache)
// and deletes the pieces of their records numbered past the count.
func (s *Store) putPieces(ctx context.Context, tx *sql.Tx, cid int64, collection string, pieces []salvo.Item, known map[salvo.Key]cachedKey, want *int, missing **salvo.NotCachedError) error {
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
		k, ok := known[p.Key]
		id := k.id
		if !ok {
			var d int
			err := byKey.QueryRowContext(ctx, p.Key[:]).Scan(&id, &d)
			if errors.Is(err, sql.ErrNoRows) {
				// Removed by Collect since a lookup found it (as for
				// whole records in put): say which, and store nothing.
				*missing = (*missing).With(collection, p.Key)
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
			known[p.Key] = cachedKey{id: id}
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
// the pieces with one more query.
func (s *Store) lookupMixed(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	pieces, pieceAt, err := salvo.LookupWhole(ctx, items, out, func(ctx context.Context, whole []salvo.Item, wout []salvo.Presence) error {
		return s.Lookup(ctx, collection, whole, wout)
	})
	if err != nil {
		return err
	}
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return err
	}
	// ?2 is a JSON array of [ID in hex, number, start, end, count], ?3 the
	// keys concatenated, as in lookup.
	arg := make([]byte, 0, 64*len(pieces))
	keys := make([]byte, 0, 32*len(pieces))
	arg = append(arg, '[')
	for i, p := range pieces {
		if i > 0 {
			arg = append(arg, ',')
		}
		c := p.Chunk
		arg = append(arg, `["`...)
		arg = hex.AppendEncode(arg, []byte(p.ID))
		arg = fmt.Appendf(arg, `",%d,%d,%d,%d]`, c.Index, c.Start, c.End, c.Count)
		keys = append(keys, p.Key[:]...)
		out[pieceAt[i]] = salvo.Missing
	}
	arg = append(arg, ']')
	rows, err := s.r.QueryContext(ctx, `SELECT j.key, coalesce(ch.cache_id = c.id AND ch.start = j.value->>2 AND ch."end" = j.value->>3
			AND NOT EXISTS (SELECT 1 FROM chunks AS x WHERE x.collection_id = ?1 AND x.id = ch.id AND x.chunk >= j.value->>4), 0)
		FROM json_each(?2) AS j
		JOIN cache AS c ON c.key = substr(?3, 32 * j.key + 1, 32)
		LEFT JOIN chunks AS ch ON ch.collection_id = ?1 AND ch.id = CAST(unhex(j.value->>0) AS TEXT) AND ch.chunk = j.value->>1`,
		cid, string(arg), keys)
	if err != nil {
		return fmt.Errorf("lookup in collection %q of %s: %w", collection, s.path, err)
	}
	if err := scanLookup(rows, func(i int, p salvo.Presence) { out[pieceAt[i]] = p }); err != nil {
		return fmt.Errorf("lookup in collection %q of %s: %w", collection, s.path, err)
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
