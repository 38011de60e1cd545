package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/sqlite"
)

// dbFlagHelp is the help of every command's --db flag.
const dbFlagHelp = "SQLite database `PATH`, or a PostgreSQL URL postgres://user:pass@host/db[?schema=salvo]"

// store is what the commands use of a store: both salvo stores have it.
type store interface {
	salvo.Store
	RecordRun(ctx context.Context, r salvo.Run) error
	Runs(ctx context.Context, collection string, limit int) ([]salvo.Run, error)
	Path() string     // the file, or the URL without its password
	Describe() string // where vectors are kept and how they are searched
}

var (
	_ store = (*sqlite.Store)(nil)
	_ store = (*postgres.Store)(nil)
)

// openStore opens the store that a --db value names: a postgres:// or
// postgresql:// URL, else a SQLite file. With existing, a SQLite file that
// does not exist is an error: reading commands never create an empty
// database by mistake.
func openStore(ctx context.Context, db string, existing bool) (store, error) {
	if postgres.IsURL(db) {
		return postgres.Open(ctx, db)
	}
	if existing {
		if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist: run salvo embed first, or give --db", db)
		}
	}
	return sqlite.Open(db)
}

// openExisting opens the store of a reading command (status, search,
// similar, export, serve) for reading only: it creates nothing, neither a
// file, nor a schema, tables or an extension, and upgrades no schema.
func openExisting(db string) (store, error) {
	ctx := context.Background()
	var (
		st  store
		err error
	)
	if postgres.IsURL(db) {
		st, err = postgres.OpenReadOnly(ctx, db)
	} else {
		if _, serr := os.Stat(db); errors.Is(serr, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist: run salvo embed first, or give --db", db)
		}
		st, err = sqlite.OpenReadOnly(db)
	}
	var (
		none *salvo.NoSchemaError
		old  *salvo.OldSchemaError
	)
	switch {
	case errors.As(err, &none):
		return nil, fmt.Errorf("%w (and reading creates nothing): run salvo embed --db '%s' first, or give another --db", none, none.Where)
	case errors.As(err, &old):
		return nil, fmt.Errorf("%s holds salvo tables of schema version %d, older than this salvo's %d, and reading upgrades nothing: run salvo embed with this --db once (it upgrades them), then this command again", old.Where, old.Version, old.Current)
	case err != nil:
		return nil, err
	}
	return st, nil
}
