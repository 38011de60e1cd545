package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/salvoembed/salvo"
)

var _ salvo.Pruner = (*Store)(nil)

// DeleteItems deletes the records of collection whose IDs are in ids, in one
// transaction, and returns how many it deleted. IDs the collection lacks are
// not an error. The cache of vectors is left alone: other records may refer
// to the same vector.
func (s *Store) DeleteItems(ctx context.Context, collection string, ids []string) (int64, error) {
	n, err := s.deleteItems(ctx, collection, ids)
	return n, s.explain(err)
}

func (s *Store) deleteItems(ctx context.Context, collection string, ids []string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.readOnly {
		return 0, s.readOnlyErr(fmt.Sprintf("delete from collection %q", collection))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete from collection %q of %s: %w", collection, s.path, err)
	}
	defer tx.Rollback()
	var cid int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, collection).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, s.noCollection(collection)
	}
	if err != nil {
		return 0, fmt.Errorf("delete from collection %q of %s: %w", collection, s.path, err)
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM items WHERE collection_id = ? AND id = ?`)
	if err != nil {
		return 0, fmt.Errorf("delete from collection %q of %s: %w", collection, s.path, err)
	}
	defer del.Close()
	var total int64
	for _, id := range ids {
		res, err := del.ExecContext(ctx, cid, id)
		if err != nil {
			return 0, fmt.Errorf("delete record %q from collection %q of %s: %w", id, collection, s.path, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("delete record %q from collection %q of %s: %w", id, collection, s.path, err)
		}
		total += n
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE collection_id = ? AND id = ?`, cid, id); err != nil {
			return 0, fmt.Errorf("delete record %q from collection %q of %s: %w", id, collection, s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete from collection %q of %s: %w", collection, s.path, err)
	}
	return total, nil
}
