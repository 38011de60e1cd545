package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/salvoembed/salvo/dbcatalog"
)

// dbAdvice puts the flags and what to do next around an error of
// dbcatalog, whose errors state the facts only.
func dbAdvice(err error) error {
	if err == nil {
		return nil
	}
	var (
		dsn      *dbcatalog.DSNError
		conn     *dbcatalog.ConnError
		query    *dbcatalog.QueryError
		noID     *dbcatalog.NoIDColumnError
		notInt   *dbcatalog.NotIntegerIDError
		target   *dbcatalog.TargetError
		dims     *dbcatalog.DimsError
		wb       *dbcatalog.WriteBackError
		notUniq  *dbcatalog.NotUniqueError
		chunks   *dbcatalog.ChunkTableError
		tooLong  *dbcatalog.NameTooLongError
		flagLike = func(e error) string { return "--" + strings.TrimPrefix(e.Error(), "--") }
	)
	switch {
	case errors.Is(err, dbcatalog.ErrEmptyQuery):
		return errors.New(`--sql is empty: give a query such as "SELECT id, title, summary FROM movies"`)
	case errors.As(err, &dsn):
		return fmt.Errorf("--source-db %w: give an existing SQLite file (shop.db, sqlite:shop.db, file:shop.db) or a postgres:// URL", dsn)
	case errors.As(err, &conn):
		return fmt.Errorf("--source-db %w", conn)
	case errors.As(err, &query):
		tool := "psql"
		if query.SQLite {
			tool = "sqlite3"
		}
		return fmt.Errorf("--sql failed in %s: %s: fix the query (try it in %s first)", query.DB, strings.TrimPrefix(query.Error(), "the query failed in "+query.DB+": "), tool)
	case errors.As(err, &noID) && noID.Table == "":
		return fmt.Errorf("%w: select it, or name the ID column with --id", noID)
	case errors.As(err, &noID):
		return fmt.Errorf("--write-back: %w: name it with --id", noID)
	case errors.As(err, &notInt):
		return fmt.Errorf("--distributed with --source-db splits the rows by ID ranges: the --id column %q must hold integers", notInt.Column)
	case errors.As(err, &target) && target.Missing:
		return fmt.Errorf("%s: create it, or name another table", flagLike(target))
	case errors.As(err, &target) && target.WrongType:
		return fmt.Errorf("%s: choose another column (salvo creates a missing one), or drop this one", flagLike(target))
	case errors.As(err, &target) && target.DB == "":
		return fmt.Errorf("%s: write TABLE.COLUMN (or SCHEMA.TABLE.COLUMN), e.g. movies.embedding", flagLike(target))
	case errors.As(err, &target):
		return errors.New(flagLike(target))
	case errors.As(err, &dims):
		return fmt.Errorf("%s: choose another column, or clear this one", flagLike(dims))
	case errors.As(err, &notUniq):
		return fmt.Errorf("--write-back %s: --id %s is not unique in table %s (%d rows hold %q): each record's vector would go into every row with its ID, so nothing was written. "+
			"Key the write-back by a column that names one row (a primary key or a column with a unique index), selected in --sql and named with --id; "+
			"a table keyed by several columns (such as shop, sku) needs such a column first, e.g. in PostgreSQL: ALTER TABLE %s ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE",
			notUniq.Target, notUniq.IDColumn, notUniq.Target.Table, notUniq.Rows, notUniq.Value, notUniq.Target.Table)
	case errors.As(err, &chunks):
		return fmt.Errorf("--write-back: %w. With --chunk, the pieces of long records go into that table: rename or drop it, or give --chunk off (texts longer than the model's context are then truncated)", chunks)
	case errors.As(err, &tooLong) && tooLong.Kind == "column":
		return fmt.Errorf("--write-back: %w: give the column a shorter name", tooLong)
	case errors.As(err, &tooLong):
		return fmt.Errorf("--write-back: %w: give the column (or the table) a shorter name, or give --chunk off (texts longer than the model's context are then truncated)", tooLong)
	case errors.As(err, &wb):
		return errors.New(flagLike(wb))
	}
	return err
}
