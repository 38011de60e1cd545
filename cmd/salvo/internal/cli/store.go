package cli

import (
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/sqlite"
)

// store is what the commands use of a store: the whole of the store's
// contract, which both salvo stores implement.
type store = salvo.FullStore

var (
	_ store = (*sqlite.Store)(nil)
	_ store = (*postgres.Store)(nil)
)
