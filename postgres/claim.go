package postgres

import (
	"context"
	"fmt"
)

// BusyError is a claim on a collection refused because another process
// holds one that excludes it: an exclusive claim (Shared false) is
// refused while any process fills the collection, a shared one while a
// process holds it exclusively.
type BusyError struct {
	Where      string // the URL without password
	Schema     string
	Collection string
	Shared     bool // the claim refused was a shared one
}

func (e *BusyError) Error() string {
	if e.Shared {
		return fmt.Sprintf("collection %q (schema %s in %s) is being filled by another process that does not share its work", e.Collection, e.Schema, e.Where)
	}
	return fmt.Sprintf("collection %q (schema %s in %s) is being filled by another process at this moment", e.Collection, e.Schema, e.Where)
}

// Claim says that this process fills the collection until release is
// called (or the process ends): a session advisory lock on a connection
// of its own. Processes that share the work take shared claims; any other
// takes an exclusive one. A claim that conflicts with a claim held
// elsewhere is refused at once with a *[BusyError]. On PGlite, whose one
// connection cannot be kept aside, Claim does nothing.
func (s *Store) Claim(ctx context.Context, collection string, shared bool) (release func(), err error) {
	if s.srv.PGlite {
		return func() {}, nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, s.wrap(err, "claim collection %q", collection)
	}
	fn := "pg_try_advisory_lock"
	if shared {
		fn += "_shared"
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT "+fn+"(hashtext('salvo fill'), hashtext($1))", s.schema+"/"+collection).Scan(&ok); err != nil {
		conn.Release()
		return nil, s.wrap(err, "claim collection %q", collection)
	}
	if !ok {
		conn.Release()
		return nil, &BusyError{Where: s.where, Schema: s.schema, Collection: collection, Shared: shared}
	}
	return func() {
		// Unlocking on a connection the server dropped fails: the lock
		// went with the session. Either way the connection goes.
		conn.Conn().Close(context.WithoutCancel(ctx)) //nolint:errcheck // see above
		conn.Release()
	}, nil
}
