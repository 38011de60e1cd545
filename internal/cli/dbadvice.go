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
	return err
}
