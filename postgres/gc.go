package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/salvoembed/salvo"
)

var _ salvo.Collector = (*Store)(nil)

// collectBatch is how many cached vectors one statement of Collect deletes.
const collectBatch = 5000

// Garbage says how many cached vectors no item (nor piece of a long
// record) refers to, and their size.
func (s *Store) Garbage(ctx context.Context) (salvo.Garbage, error) {
	var g salvo.Garbage
	err := s.retry(ctx, func() error {
		return s.wrap(s.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(pg_column_size(c.vector) + octet_length(c.text) + 32), 0)
			FROM `+s.q.s+`.cache c WHERE NOT EXISTS (SELECT 1 FROM `+s.q.s+`.items i WHERE i.cache_id = c.id)
				AND NOT EXISTS (SELECT 1 FROM `+s.q.s+`.chunks ch WHERE ch.cache_id = c.id)`).Scan(&g.Rows, &g.Bytes),
			"count unreferenced vectors")
	})
	return g, err
}

// Collect deletes the cached vectors no item refers to, a batch per
// statement. It locks what it deletes FOR UPDATE SKIP LOCKED: a row that a
// Put is linking to (it holds it FOR KEY SHARE) is skipped, and a Put that
// comes after finds the row gone and says so (*[salvo.NotCachedError]).
// A row that a Put linked after the statement's snapshot makes the
// statement fail on the foreign key; it is run again with a new one.
func (s *Store) Collect(ctx context.Context) (salvo.Garbage, error) {
	var total salvo.Garbage
	if s.readOnly {
		return total, s.readOnlyErr("delete unreferenced vectors")
	}
	sql := `WITH gone AS (
		DELETE FROM ` + s.q.s + `.cache WHERE id IN (
			SELECT c.id FROM ` + s.q.s + `.cache c
			WHERE NOT EXISTS (SELECT 1 FROM ` + s.q.s + `.items i WHERE i.cache_id = c.id)
				AND NOT EXISTS (SELECT 1 FROM ` + s.q.s + `.chunks ch WHERE ch.cache_id = c.id)
			ORDER BY c.id LIMIT ` + fmt.Sprint(collectBatch) + ` FOR UPDATE SKIP LOCKED)
		RETURNING pg_column_size(vector) + octet_length(text) + 32 AS size)
	SELECT count(*), coalesce(sum(size), 0) FROM gone`
	for conflicts := 0; ; {
		var g salvo.Garbage
		err := s.retry(ctx, func() error { return s.pool.QueryRow(ctx, sql).Scan(&g.Rows, &g.Bytes) })
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "23503" && conflicts < 100: // foreign_key_violation: linked meanwhile
			conflicts++
			continue
		case err != nil:
			return total, s.wrap(err, "delete unreferenced vectors (%d deleted so far)", total.Rows)
		}
		conflicts = 0
		total.Rows += g.Rows
		total.Bytes += g.Bytes
		if g.Rows < collectBatch {
			return total, nil
		}
	}
}
