package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/salvoembed/salvo"
)

// OpenCollection creates the collection when it does not exist. An existing
// collection must have the same model (a *[salvo.ModelMismatchError]
// otherwise) and, when c.Dims is set and vectors are stored, the same
// dimensions (a *[salvo.DimensionError]), so that a run with the wrong flags
// fails before it embeds anything. A non-empty c.Template replaces the stored
// one: a changed template changes the texts, and so the keys, of exactly the
// records it affects.
//
// The returned collection holds what is stored: Dims is 0 until the first
// vector is stored; c.Dims is never stored.
func (s *Store) OpenCollection(ctx context.Context, c salvo.Collection) (*salvo.Collection, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if s.readOnly {
		return nil, s.readOnlyErr(fmt.Sprintf("open collection %q", c.Name))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("open collection %q in %s: %w", c.Name, s.path, err)
	}
	defer tx.Rollback()

	now := time.Now().UnixMilli()
	var (
		id       int64
		stored   = salvo.Collection{Name: c.Name}
		template string
	)
	err = tx.StmtContext(ctx, s.st.collByName).QueryRowContext(ctx, c.Name).Scan(&id, &stored.Model, &stored.Dims, &template)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if target, err := aliasOf(ctx, tx, c.Name); err != nil || target != "" {
			if err != nil {
				return nil, fmt.Errorf("create collection %q in %s: %w", c.Name, s.path, err)
			}
			return nil, &salvo.NameTakenError{Name: c.Name, AliasOf: target}
		}
		stored.Model, stored.Template = c.Model, c.Template
		res, err := tx.StmtContext(ctx, s.st.insertColl).ExecContext(ctx, c.Name, c.Model, c.Template, now, now)
		if err == nil {
			id, err = res.LastInsertId()
		}
		if err != nil {
			return nil, fmt.Errorf("create collection %q in %s: %w", c.Name, s.path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open collection %q in %s: %w", c.Name, s.path, err)
	case !salvo.SameModel(stored.Model, c.Model):
		return nil, &salvo.ModelMismatchError{Collection: c.Name, Have: stored.Model, Want: c.Model}
	case c.Dims != 0 && stored.Dims != 0 && c.Dims != stored.Dims:
		return nil, &salvo.DimensionError{Collection: c.Name, Have: c.Dims, Want: stored.Dims}
	default:
		stored.Template = template
		if c.Template != "" && c.Template != template {
			stored.Template = c.Template
			if _, err := tx.StmtContext(ctx, s.st.setTemplate).ExecContext(ctx, c.Template, now, id); err != nil {
				return nil, fmt.Errorf("update template of collection %q in %s: %w", c.Name, s.path, err)
			}
		}
		if err := tx.StmtContext(ctx, s.st.countItemsW).QueryRowContext(ctx, id).Scan(&stored.Count); err != nil {
			return nil, fmt.Errorf("count items of collection %q in %s: %w", c.Name, s.path, err)
		}
	}
	if err := s.embedding(ctx, tx, id, c, &stored, now); err != nil {
		return nil, fmt.Errorf("open collection %q in %s: %w", c.Name, s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("open collection %q in %s: %w", c.Name, s.path, err)
	}
	return &stored, nil
}

// embedding reads how the collection was embedded into stored, after
// replacing it with c's when c.Endpoint is set.
func (s *Store) embedding(ctx context.Context, tx *sql.Tx, id int64, c salvo.Collection, stored *salvo.Collection, now int64) error {
	if c.Endpoint != "" {
		if _, err := tx.StmtContext(ctx, s.st.setEmbedding).ExecContext(ctx, c.Prefix, c.Endpoint, c.Dimensions, c.Digest, c.Keep, now, id); err != nil {
			return err
		}
	}
	return tx.StmtContext(ctx, s.st.collEmbedding).QueryRowContext(ctx, id).Scan(&stored.Prefix, &stored.Endpoint, &stored.Dimensions, &stored.Digest, &stored.Keep)
}

// Collections lists every collection by name, with its item count.
func (s *Store) Collections(ctx context.Context) ([]salvo.Collection, error) {
	rows, err := s.st.collections.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list collections in %s: %w", s.path, err)
	}
	defer rows.Close()
	var cs []salvo.Collection
	for rows.Next() {
		var c salvo.Collection
		if err := rows.Scan(&c.Name, &c.Model, &c.Dims, &c.Template, &c.Count, &c.Prefix, &c.Endpoint, &c.Dimensions, &c.Digest, &c.Keep); err != nil {
			return nil, fmt.Errorf("list collections in %s: %w", s.path, err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list collections in %s: %w", s.path, err)
	}
	return cs, nil
}

// collectionID returns the row id of the named collection, or an error
// wrapping [salvo.ErrNoCollection].
func (s *Store) collectionID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.st.collID.QueryRowContext(ctx, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, s.noCollection(name)
	}
	if err != nil {
		return 0, fmt.Errorf("find collection %q in %s: %w", name, s.path, err)
	}
	return id, nil
}

func (s *Store) noCollection(name string) error {
	return fmt.Errorf("collection %q in %s: %w (open it first)", name, s.path, salvo.ErrNoCollection)
}
