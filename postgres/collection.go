package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo"
)

// openCollectionOnce is [Store.OpenCollection] without its retries.
func (s *Store) openCollectionOnce(ctx context.Context, c salvo.Collection) (*salvo.Collection, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if s.readOnly {
		return nil, s.readOnlyErr(fmt.Sprintf("open collection %q", c.Name))
	}
	var stored *salvo.Collection
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two processes creating the same collection: the second waits for
		// the first's row, then finds it.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", s.schema+"/"+c.Name); err != nil {
			return err
		}
		var id int64
		stored = &salvo.Collection{Name: c.Name}
		err := tx.QueryRow(ctx, s.q.collByName, c.Name).Scan(&id, &stored.Model, &stored.Dims, &stored.Template,
			&stored.Prefix, &stored.Endpoint, &stored.Dimensions, &stored.Digest, &stored.Keep)
		switch {
		case isNoRows(err):
			if target, err := s.aliasOf(ctx, tx, c.Name); err != nil || target != "" {
				if err != nil {
					return err
				}
				return &salvo.NameTakenError{Name: c.Name, AliasOf: target}
			}
			*stored = salvo.Collection{Name: c.Name, Model: c.Model, Template: c.Template}
			if c.Endpoint != "" {
				setEmbedding(stored, c)
			}
			_, err := tx.Exec(ctx, s.q.insertColl, c.Name, c.Model, c.Template,
				stored.Prefix, stored.Endpoint, stored.Dimensions, stored.Digest, stored.Keep)
			return err
		case err != nil:
			return err
		case !salvo.SameModel(stored.Model, c.Model):
			return &salvo.ModelMismatchError{Collection: c.Name, Have: stored.Model, Want: c.Model}
		case c.Dims != 0 && stored.Dims != 0 && c.Dims != stored.Dims:
			return &salvo.DimensionError{Collection: c.Name, Have: c.Dims, Want: stored.Dims}
		}
		if c.Template != "" && c.Template != stored.Template {
			stored.Template = c.Template
			if _, err := tx.Exec(ctx, s.q.setTemplate, c.Template, id); err != nil {
				return err
			}
		}
		if c.Endpoint != "" {
			setEmbedding(stored, c)
			if _, err := tx.Exec(ctx, s.q.setEmbedding, c.Prefix, c.Endpoint, c.Dimensions, c.Digest, c.Keep, id); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, s.q.countItems, id).Scan(&stored.Count)
	})
	var mm *salvo.ModelMismatchError
	var de *salvo.DimensionError
	var nt *salvo.NameTakenError
	if errors.As(err, &mm) || errors.As(err, &de) || errors.As(err, &nt) {
		return nil, err
	}
	if err != nil {
		return nil, s.wrap(err, "open collection %q", c.Name)
	}
	return stored, nil
}

// setEmbedding copies how c is embedded into dst.
func setEmbedding(dst *salvo.Collection, c salvo.Collection) {
	dst.Prefix, dst.Endpoint, dst.Dimensions, dst.Digest, dst.Keep = c.Prefix, c.Endpoint, c.Dimensions, c.Digest, c.Keep
}

// Collections lists every collection by name, with its item count and how
// it was embedded.
func (s *Store) Collections(ctx context.Context) ([]salvo.Collection, error) {
	rows, err := s.pool.Query(ctx, s.q.collections)
	if err != nil {
		return nil, s.wrap(err, "list collections")
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (salvo.Collection, error) {
		var c salvo.Collection
		err := r.Scan(&c.Name, &c.Model, &c.Dims, &c.Template, &c.Count, &c.Prefix, &c.Endpoint, &c.Dimensions, &c.Digest, &c.Keep)
		return c, err
	})
	if err != nil {
		return nil, s.wrap(err, "list collections")
	}
	return cs, nil
}

// collection returns the row id and dimensions of the named collection, or
// an error wrapping [salvo.ErrNoCollection].
func (s *Store) collection(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, name string, forUpdate bool) (id int64, dims int, err error) {
	sql := s.q.collRef
	if forUpdate {
		sql = s.q.collRefForUpdate
	}
	err = q.QueryRow(ctx, sql, name).Scan(&id, &dims)
	if isNoRows(err) {
		return 0, 0, s.noCollection(name)
	}
	if err != nil {
		return 0, 0, s.wrap(err, "find collection %q", name)
	}
	return id, dims, nil
}
