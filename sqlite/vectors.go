package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/salvoembed/salvo"
)

// CachedVectors returns the cached vectors of keys; keys not in the cache are
// left out.
func (s *Store) CachedVectors(ctx context.Context, keys []salvo.Key) (map[salvo.Key][]float32, error) {
	out := make(map[salvo.Key][]float32, len(keys))
	for _, k := range keys {
		var blob []byte
		err := s.r.QueryRowContext(ctx, "SELECT vector FROM cache WHERE key = ?", k[:]).Scan(&blob)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read cached vectors of %s: %w", s.path, err)
		}
		v, err := decodeVector(blob)
		if err != nil {
			return nil, fmt.Errorf("read cached vectors of %s: %w", s.path, err)
		}
		out[k] = v
	}
	return out, nil
}
