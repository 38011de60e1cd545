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

// openExisting opens the store of a reading command.
func openExisting(db string) (store, error) {
	return openStore(context.Background(), db, true)
}
