package postgres

import (
	"context"
	"fmt"

	"github.com/salvoembed/salvo"
)

var _ salvo.Pruner = (*Store)(nil)

// DeleteItems deletes the records of collection whose IDs are in ids, in one
// transaction, and returns how many it deleted. IDs the collection lacks are
// not an error. The cache of vectors is left alone: other records may refer
// to the same vector.
//
// It runs again on a lost connection, within the time [Store.SetRetry] sets.
func (s *Store) DeleteItems(ctx context.Context, collection string, ids []string) (int64, error) {
	var n int64
	err := s.retry(ctx, func() error {
		var err error
		n, err = s.deleteItemsOnce(ctx, collection, ids)
		return err
	})
	return n, err
}

func (s *Store) deleteItemsOnce(ctx context.Context, collection string, ids []string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.readOnly {
		return 0, s.readOnlyErr(fmt.Sprintf("delete from collection %q", collection))
	}
	// An ID PostgreSQL cannot hold is never stored: nothing to delete.
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, s.wrap(err, "delete from collection %q", collection)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	cid, _, err := s.collection(ctx, tx, collection, true)
	if err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.items WHERE collection_id = $1 AND id = ANY($2::text[])`, cid, valid)
	if err != nil {
		return 0, s.wrap(err, "delete %d records from collection %q", len(valid), collection)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.chunks WHERE collection_id = $1 AND id = ANY($2::text[])`, cid, valid); err != nil {
		return 0, s.wrap(err, "delete %d records from collection %q", len(valid), collection)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, s.wrap(err, "delete from collection %q", collection)
	}
	return tag.RowsAffected(), nil
}
