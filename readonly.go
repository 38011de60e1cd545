package salvo

import (
	"errors"
	"fmt"
)

// ErrReadOnly is what a store opened for reading only (sqlite.OpenReadOnly,
// postgres.OpenReadOnly) returns from every method that would write.
var ErrReadOnly = errors.New("the store was opened for reading only")

// NoSchemaError is what opening a store for reading only returns when the
// database holds none of salvo's tables: nothing was stored there yet.
// Opening it for reading creates nothing.
type NoSchemaError struct {
	Where string // the file, or the URL without its password
}

func (e *NoSchemaError) Error() string {
	return fmt.Sprintf("%s holds no salvo tables: nothing has been stored there yet", e.Where)
}

// OldSchemaError is what opening a store for reading only returns when its
// tables are of an older schema version than this build reads: only
// opening it for writing upgrades them.
type OldSchemaError struct {
	Where   string // the file, or the URL without its password
	Version int    // the version the store holds
	Current int    // the version this build reads and writes
}

func (e *OldSchemaError) Error() string {
	return fmt.Sprintf("%s holds salvo tables of schema version %d, older than this build's %d: open it for writing once to upgrade it", e.Where, e.Version, e.Current)
}
