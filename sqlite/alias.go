package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/salvoembed/salvo"
)

var _ salvo.Aliaser = (*Store)(nil)

// SetAlias points alias at collection, creating or repointing it in one
// transaction. The collection must exist; alias must not be a collection's
// name (a *[salvo.NameTakenError]).
func (s *Store) SetAlias(ctx context.Context, alias, collection string) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("set alias %q", alias))
	}
	if alias == "" {
		return errors.New("set alias: empty alias name")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.explain(fmt.Errorf("set alias %q in %s: %w", alias, s.path, err))
	}
	defer tx.Rollback()
	var taken int64
	switch err := tx.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, alias).Scan(&taken); {
	case err == nil:
		return &salvo.NameTakenError{Name: alias}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("set alias %q in %s: %w", alias, s.path, err)
	}
	var cid int64
	switch err := tx.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, collection).Scan(&cid); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("alias %q: collection %q in %s: %w", alias, collection, s.path, salvo.ErrNoCollection)
	case err != nil:
		return fmt.Errorf("set alias %q in %s: %w", alias, s.path, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO aliases (name, collection_id) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET collection_id = excluded.collection_id`, alias, cid); err != nil {
		return s.explain(fmt.Errorf("set alias %q in %s: %w", alias, s.path, err))
	}
	if err := tx.Commit(); err != nil {
		return s.explain(fmt.Errorf("set alias %q in %s: %w", alias, s.path, err))
	}
	return nil
}

// DeleteAlias removes alias; the collection it pointed to stays.
func (s *Store) DeleteAlias(ctx context.Context, alias string) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("delete alias %q", alias))
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM aliases WHERE name = ?`, alias)
	if err != nil {
		return s.explain(fmt.Errorf("delete alias %q in %s: %w", alias, s.path, err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("delete alias %q in %s: %w", alias, s.path, err)
		}
		return fmt.Errorf("alias %q in %s: %w", alias, s.path, salvo.ErrNoAlias)
	}
	return nil
}

// Aliases lists the aliases by name.
func (s *Store) Aliases(ctx context.Context) ([]salvo.Alias, error) {
	return aliases(ctx, s.r, s.path)
}

// aliases reads the aliases through db (a reader, or the writer's
// transaction).
func aliases(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, path string) ([]salvo.Alias, error) {
	rows, err := db.QueryContext(ctx, `SELECT a.name, c.name FROM aliases AS a JOIN collections AS c ON c.id = a.collection_id ORDER BY a.name`)
	if err != nil {
		return nil, fmt.Errorf("list aliases in %s: %w", path, err)
	}
	defer rows.Close()
	var out []salvo.Alias
	for rows.Next() {
		var a salvo.Alias
		if err := rows.Scan(&a.Name, &a.Collection); err != nil {
			return nil, fmt.Errorf("list aliases in %s: %w", path, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list aliases in %s: %w", path, err)
	}
	return out, nil
}

// DropCollection deletes the collection, its records and its runs in one
// transaction, and returns how many records it deleted; the cached vectors
// stay. A collection an alias points to is refused (a
// *[salvo.AliasedError]).
func (s *Store) DropCollection(ctx context.Context, collection string) (int64, error) {
	n, err := s.dropCollection(ctx, collection)
	return n, s.explain(err)
}

func (s *Store) dropCollection(ctx context.Context, collection string) (int64, error) {
	if s.readOnly {
		return 0, s.readOnlyErr(fmt.Sprintf("drop collection %q", collection))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
	}
	defer tx.Rollback()
	var cid int64
	switch err := tx.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, collection).Scan(&cid); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, salvo.ErrNoCollection)
	case err != nil:
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
	}
	all, err := aliases(ctx, tx, s.path)
	if err != nil {
		return 0, err
	}
	var to []string
	for _, a := range all {
		if a.Collection == collection {
			to = append(to, a.Name)
		}
	}
	if len(to) > 0 {
		return 0, &salvo.AliasedError{Collection: collection, Aliases: to}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE collection_id = ?`, cid); err != nil {
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM items WHERE collection_id = ?`, cid)
	if err != nil {
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
	}
	for _, q := range []string{`DELETE FROM runs WHERE collection = ?`, `DELETE FROM collections WHERE name = ?`} {
		if _, err := tx.ExecContext(ctx, q, collection); err != nil {
			return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("drop collection %q of %s: %w", collection, s.path, err)
	}
	return n, nil
}

// aliasOf returns the collection alias points to, or "" when no alias has
// that name: a new collection may not take an alias's name.
func aliasOf(ctx context.Context, tx *sql.Tx, alias string) (string, error) {
	var target string
	err := tx.QueryRowContext(ctx, `SELECT c.name FROM aliases AS a JOIN collections AS c ON c.id = a.collection_id WHERE a.name = ?`, alias).Scan(&target)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return target, err
}
