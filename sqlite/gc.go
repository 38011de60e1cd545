package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/salvoembed/salvo"
)

var _ salvo.Collector = (*Store)(nil)

// garbage counts the cached vectors no item refers to: NOT IN builds the
// set of referenced rows once (items have no index on cache_id, which
// would cost every Put an index write).
const garbage = `SELECT count(*), coalesce(sum(length(vector) + length(CAST(text AS BLOB)) + length(key)), 0)
	FROM cache WHERE id NOT IN (SELECT cache_id FROM items UNION ALL SELECT cache_id FROM chunks)`

// Garbage says how many cached vectors no item (nor piece of a long
// record) refers to, and their size.
func (s *Store) Garbage(ctx context.Context) (salvo.Garbage, error) {
	var g salvo.Garbage
	if err := s.r.QueryRowContext(ctx, garbage).Scan(&g.Rows, &g.Bytes); err != nil {
		return g, fmt.Errorf("count unreferenced vectors in %s: %w", s.path, err)
	}
	return g, nil
}

// Collect deletes the cached vectors no item refers to, in one write
// transaction: SQLite lets no other write (a Put of this process or of
// another) in between finding them and deleting them. The file does not
// shrink: SQLite reuses the freed pages.
func (s *Store) Collect(ctx context.Context) (salvo.Garbage, error) {
	g, err := s.collect(ctx)
	return g, s.explain(err)
}

func (s *Store) collect(ctx context.Context) (g salvo.Garbage, err error) {
	if s.readOnly {
		return g, s.readOnlyErr("delete unreferenced vectors")
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return g, fmt.Errorf("delete unreferenced vectors in %s: %w", s.path, err)
	}
	// The foreign key check of each deleted row would scan items (no
	// index on cache_id); the transaction itself proves the rows
	// unreferenced. The connection gets its checks back, or is discarded.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		conn.Close()
		return g, fmt.Errorf("delete unreferenced vectors in %s: %w", s.path, err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // discards the connection
		}
		conn.Close()
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return g, fmt.Errorf("delete unreferenced vectors in %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, garbage).Scan(&g.Rows, &g.Bytes); err != nil {
		return salvo.Garbage{}, fmt.Errorf("count unreferenced vectors in %s: %w", s.path, err)
	}
	if g.Rows == 0 {
		return g, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM cache WHERE id NOT IN (SELECT cache_id FROM items UNION ALL SELECT cache_id FROM chunks)`)
	if err != nil {
		return salvo.Garbage{}, fmt.Errorf("delete unreferenced vectors in %s: %w", s.path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != g.Rows {
		return salvo.Garbage{}, fmt.Errorf("delete unreferenced vectors in %s: deleted %d rows of %d counted (%v)", s.path, n, g.Rows, err)
	}
	if err := tx.Commit(); err != nil {
		return salvo.Garbage{}, fmt.Errorf("delete unreferenced vectors in %s: %w", s.path, err)
	}
	return g, nil
}
