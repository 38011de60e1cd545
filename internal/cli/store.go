package cli

import (
	"context"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/sqlite"
)

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
