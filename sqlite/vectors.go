package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/salvoembed/salvo"
)

// cachedChunk is how many keys one query of CachedVectors asks for.
const cachedChunk = 500

// CachedVectors returns the cached vectors of keys; keys not in the cache are
// left out. It asks for cachedChunk keys a query.
func (s *Store) CachedVectors(ctx context.Context, keys []salvo.Key) (map[salvo.Key][]float32, error) {
	out := make(map[salvo.Key][]float32, len(keys))
	args := make([]any, 0, min(len(keys), cachedChunk))
	for start := 0; start < len(keys); start += cachedChunk {
		chunk := keys[start:min(start+cachedChunk, len(keys))]
		args = args[:0]
		for i := range chunk {
			args = append(args, chunk[i][:])
		}
		q := "SELECT key, vector FROM cache WHERE key IN (?" + strings.Repeat(",?", len(chunk)-1) + ")"
		if err := s.cachedRows(ctx, q, args, out); err != nil {
			return nil, fmt.Errorf("read cached vectors of %s: %w", s.path, err)
		}
	}
	return out, nil
}

// cachedRows adds the (key, vector) rows of query q to out.
func (s *Store) cachedRows(ctx context.Context, q string, args []any, out map[salvo.Key][]float32) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, blob []byte
		if err := rows.Scan(&key, &blob); err != nil {
			return err
		}
		var k salvo.Key
		if len(key) != len(k) {
			return fmt.Errorf("a cache key of %d bytes, not %d: the database is damaged", len(key), len(k))
		}
		copy(k[:], key)
		v, err := decodeVector(blob)
		if err != nil {
			return err
		}
		out[k] = v
	}
	return rows.Err()
}
