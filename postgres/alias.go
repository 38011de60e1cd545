package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo"
)

var _ salvo.Aliaser = (*Store)(nil)

// SetAlias points alias at collection, creating or repointing it in one
// transaction. The collection must exist; alias must not be a collection's
// name (a *[salvo.NameTakenError]). It runs again on a lost connection.
func (s *Store) SetAlias(ctx context.Context, alias, collection string) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("set alias %q", alias))
	}
	if alias == "" {
		return errors.New("set alias: empty alias name")
	}
	return s.retry(ctx, func() error {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			// The lock OpenCollection takes on the name: a collection
			// and an alias created at once do not both get it.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", s.schema+"/"+alias); err != nil {
				return err
			}
			var taken int64
			switch err := tx.QueryRow(ctx, s.q.collRef, alias).Scan(&taken, new(int)); {
			case err == nil:
				return &salvo.NameTakenError{Name: alias}
			case !isNoRows(err):
				return err
			}
			var cid int64
			switch err := tx.QueryRow(ctx, s.q.collRef+" FOR SHARE", collection).Scan(&cid, new(int)); {
			case isNoRows(err):
				return fmt.Errorf("alias %q: collection %q in %s: %w", alias, collection, s.where, salvo.ErrNoCollection)
			case err != nil:
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+s.q.s+`.aliases (name, collection_id) VALUES ($1, $2)
				ON CONFLICT (name) DO UPDATE SET collection_id = excluded.collection_id`, alias, cid)
			return err
		})
		return s.keep(err, "set alias %q", alias)
	})
}

// DeleteAlias removes alias; the collection it pointed to stays.
func (s *Store) DeleteAlias(ctx context.Context, alias string) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("delete alias %q", alias))
	}
	return s.retry(ctx, func() error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM `+s.q.s+`.aliases WHERE name = $1`, alias)
		if err != nil {
			return s.wrap(err, "delete alias %q", alias)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("alias %q in %s: %w", alias, s.where, salvo.ErrNoAlias)
		}
		return nil
	})
}

// Aliases lists the aliases by name.
func (s *Store) Aliases(ctx context.Context) ([]salvo.Alias, error) {
	var out []salvo.Alias
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.aliases(ctx, s.pool)
		return s.wrap(err, "list aliases")
	})
	return out, err
}

func (s *Store) aliases(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]salvo.Alias, error) {
	rows, err := q.Query(ctx, `SELECT a.name, c.name FROM `+s.q.s+`.aliases a JOIN `+s.q.s+`.collections c ON c.id = a.collection_id ORDER BY a.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (salvo.Alias, error) {
		var a salvo.Alias
		err := r.Scan(&a.Name, &a.Collection)
		return a, err
	})
}

// DropCollection deletes the collection, its records, its runs and its
// search index in one transaction, and returns how many records it
// deleted; the cached vectors stay. A collection an alias points to is
// refused (a *[salvo.AliasedError]).
func (s *Store) DropCollection(ctx context.Context, collection string) (int64, error) {
	if s.readOnly {
		return 0, s.readOnlyErr(fmt.Sprintf("drop collection %q", collection))
	}
	var n int64
	err := s.retry(ctx, func() error {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var cid int64
			switch err := tx.QueryRow(ctx, s.q.collRefForUpdate, collection).Scan(&cid, new(int)); {
			case isNoRows(err):
				return fmt.Errorf("drop collection %q of %s: %w", collection, s.where, salvo.ErrNoCollection)
			case err != nil:
				return err
			}
			all, err := s.aliases(ctx, tx)
			if err != nil {
				return err
			}
			var to []string
			for _, a := range all {
				if a.Collection == collection {
					to = append(to, a.Name)
				}
			}
			if len(to) > 0 {
				return &salvo.AliasedError{Collection: collection, Aliases: to}
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.chunks WHERE collection_id = $1`, cid); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.items WHERE collection_id = $1`, cid)
			if err != nil {
				return err
			}
			n = tag.RowsAffected()
			if _, err := tx.Exec(ctx, fmt.Sprintf(`DROP INDEX IF EXISTS %s.items_hnsw_%d`, s.q.s, cid)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.runs WHERE collection = $1`, collection); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `DELETE FROM `+s.q.s+`.collections WHERE id = $1`, cid)
			return err
		})
		return s.keep(err, "drop collection %q", collection)
	})
	return n, err
}

// keep returns err as it is when it is one of salvo's typed errors, and
// wrapped with what failed and where otherwise.
func (s *Store) keep(err error, format string, a ...any) error {
	var (
		taken   *salvo.NameTakenError
		aliased *salvo.AliasedError
	)
	if err == nil || errors.As(err, &taken) || errors.As(err, &aliased) ||
		errors.Is(err, salvo.ErrNoCollection) || errors.Is(err, salvo.ErrNoAlias) {
		return err
	}
	return s.wrap(err, format, a...)
}

// aliasOf returns the collection alias points to, or "" when no alias has
// that name: a new collection may not take an alias's name.
func (s *Store) aliasOf(ctx context.Context, tx pgx.Tx, alias string) (string, error) {
	var target string
	err := tx.QueryRow(ctx, `SELECT c.name FROM `+s.q.s+`.aliases a JOIN `+s.q.s+`.collections c ON c.id = a.collection_id WHERE a.name = $1`, alias).Scan(&target)
	if isNoRows(err) {
		return "", nil
	}
	return target, err
}
