package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/spf13/pflag"
)

// dbFlagHelp is the help of every command's --db flag.
const dbFlagHelp = "SQLite database `PATH`, or a PostgreSQL URL postgres://user:pass@host/db[?schema=salvo]"

// dbKind is the kind of store a --db value names.
type dbKind int

const (
	dbSQLite   dbKind = iota // a file
	dbPostgres               // a postgres:// or postgresql:// URL
)

// dbTarget is a --db value, classified once when the flag is parsed: every
// command asks it, not the string, which store it names and how to open it.
type dbTarget struct {
	kind dbKind
	loc  string // the SQLite file's path or the PostgreSQL URL, as given
}

// defaultDB is --db when it is not given.
var defaultDB = dbTarget{dbSQLite, "salvo.db"}

// urlScheme is what starts a URL: a scheme and "://", or a PostgreSQL
// scheme with only its colon (postgres:/db, a URL mistyped).
var urlScheme = regexp.MustCompile(`^(?i)([a-z][a-z0-9+.-]*)://|^(?i)(postgres(?:ql)?):`)

// parseDB classifies a --db value: a postgres:// or postgresql:// URL is
// PostgreSQL, any other URL is refused, and the rest is a SQLite file.
func parseDB(s string) (dbTarget, error) {
	switch {
	case postgres.IsURL(s):
		return dbTarget{dbPostgres, s}, nil
	case strings.TrimSpace(s) == "":
		return dbTarget{}, errors.New("give a SQLite file (salvo.db) or a PostgreSQL URL (postgres://user@host/db)")
	}
	if m := urlScheme.FindStringSubmatch(s); m != nil {
		scheme := m[1] + m[2]
		if strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql") {
			return dbTarget{}, fmt.Errorf("%s: a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)", postgres.Redact(s))
		}
		return dbTarget{}, fmt.Errorf("%s: salvo stores vectors in SQLite (give a file path) or PostgreSQL (postgres://…), not in %s", redactAny(s), scheme)
	}
	return dbTarget{dbSQLite, s}, nil
}

// redactAny is a URL without its password, for messages.
func redactAny(s string) string {
	if r := postgres.Redact(s); r != "the PostgreSQL URL" {
		return r
	}
	return "the URL"
}

// dbFlag registers --db on fs into d, salvo.db unless given.
func dbFlag(fs *pflag.FlagSet, d *dbTarget) {
	*d = defaultDB
	fs.Var(d, "db", dbFlagHelp)
}

// Set, String and Type make a dbTarget a flag's value.
func (d *dbTarget) Set(s string) error {
	t, err := parseDB(s)
	if err != nil {
		return err
	}
	*d = t
	return nil
}

func (d *dbTarget) String() string { return d.loc }

func (d *dbTarget) Type() string { return "string" }

// isPostgres reports whether the value is a PostgreSQL URL.
func (d dbTarget) isPostgres() bool { return d.kind == dbPostgres }

// sqlitePath is the SQLite file, or "" for PostgreSQL.
func (d dbTarget) sqlitePath() string {
	if d.kind == dbSQLite {
		return d.loc
	}
	return ""
}

// checkWritable reports, without writing anything, whether a run could
// store what it embeds: the SQLite file and its folder can be written.
func (d dbTarget) checkWritable() error {
	if d.kind == dbSQLite {
		return sqlite.CheckWritable(d.loc)
	}
	return nil
}

// failuresPath is the default failures file: beside a SQLite database, and
// salvo.failures.jsonl in the current folder for PostgreSQL.
func (d dbTarget) failuresPath() string {
	if d.kind == dbPostgres {
		return "salvo.failures.jsonl"
	}
	return strings.TrimSuffix(d.loc, filepath.Ext(d.loc)) + ".failures.jsonl"
}

// open opens the store for reading and writing, creating what is missing
// (salvo embed).
func (d dbTarget) open(ctx context.Context) (store, error) {
	if d.kind == dbPostgres {
		return postgres.Open(ctx, d.loc)
	}
	return sqlite.Open(d.loc)
}

// openReadOnly opens the store of a reading command (status, search,
// similar, export, serve) for reading only: it creates nothing, neither a
// file, nor a schema, tables or an extension, and upgrades no schema.
func (d dbTarget) openReadOnly(ctx context.Context) (store, error) {
	var (
		st  store
		err error
	)
	if d.kind == dbPostgres {
		st, err = postgres.OpenReadOnly(ctx, d.loc)
	} else {
		if _, serr := os.Stat(d.loc); errors.Is(serr, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist: run salvo embed first, or give --db", d.loc)
		}
		st, err = sqlite.OpenReadOnly(d.loc)
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
