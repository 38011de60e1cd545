package cli

import (
	"errors"
	"fmt"

	"github.com/salvoembed/salvo/dbcatalog"
)

// dbAdvice puts the flags and what to do next around an error of
// dbcatalog, whose errors state the facts only.
func dbAdvice(err error) error {
	if err == nil {
		return nil
	}
	var de *dbcatalog.DSNError
	if errors.As(err, &de) {
		return fmt.Errorf("--source-db %w: give an existing SQLite file (shop.db, sqlite:shop.db, file:shop.db) or a postgres:// URL", de)
	}
	var nu *dbcatalog.NotUniqueError
	if errors.As(err, &nu) {
		return fmt.Errorf("--write-back %s: --id %s is not unique in table %s (%d rows hold %q): each record's vector would go into every row with its ID, so nothing was written. "+
			"Key the write-back by a column that names one row (a primary key or a column with a unique index), selected in --sql and named with --id; "+
			"a table keyed by several columns (such as shop, sku) needs such a column first, e.g. in PostgreSQL: ALTER TABLE %s ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE",
			nu.Target, nu.IDColumn, nu.Target.Table, nu.Rows, nu.Value, nu.Target.Table)
	}
	return err
}
