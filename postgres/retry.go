package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/salvoembed/salvo"
)

// Transient reports whether err is a lost connection that a server coming
// back (a restart, a failover) ends: the server shutting down or not yet
// accepting connections (SQLSTATE 57P01, 57P02, 57P03, class 08), a
// connection refused, reset or cut (EOF, broken pipe).
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03":
			return true
		}
		return len(pe.Code) == 5 && pe.Code[:2] == "08"
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// UnavailableError is a store call that kept failing on a lost connection
// for the store's retry time ([Store.SetRetry]).
type UnavailableError struct {
	Where string
	For   time.Duration
	Err   error // the last error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("PostgreSQL at %s did not come back within %s: %v", e.Where, e.For, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// SetRetry makes the store's calls that write or look up a batch (Put,
// Lookup, OpenCollection, RecordRun, Index) run again, with backoff, when
// they fail on a lost connection ([Transient]), for up to d after the
// first failure; then they return an *[UnavailableError] with the last
// error. 0 (the default) does not retry. Each retry runs the whole call,
// its transaction included: a Put stores the same rows again, once.
func (s *Store) SetRetry(d time.Duration) { s.retryFor = d }

// retry runs fn until it succeeds, fails for another reason than a lost
// connection, or has failed on one for s.retryFor.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	err := fn()
	if err == nil || s.retryFor <= 0 || !Transient(err) {
		return err
	}
	deadline := time.Now().Add(s.retryFor)
	wait := 100 * time.Millisecond
	for {
		if time.Now().Add(wait).After(deadline) {
			return &UnavailableError{Where: s.where, For: s.retryFor, Err: err}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
		if err = fn(); err == nil || !Transient(err) {
			return err
		}
	}
}

// OpenCollection creates the collection when it does not exist. An existing
// collection must have the same model (a *[salvo.ModelMismatchError]
// otherwise) and, when c.Dims is set and vectors are stored, the same
// dimensions (a *[salvo.DimensionError]). A non-empty c.Template replaces
// the stored one. When c.Endpoint is set, how the collection is embedded
// (c.Prefix, c.Endpoint, c.Dimensions, c.Digest, c.Keep) replaces what is
// stored; otherwise that is kept. The returned collection holds what is
// stored.
//
// It runs again on a lost connection, within the time [Store.SetRetry] sets.
func (s *Store) OpenCollection(ctx context.Context, c salvo.Collection) (*salvo.Collection, error) {
	var out *salvo.Collection
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.openCollectionOnce(ctx, c)
		return err
	})
	return out, err
}

// Lookup fills out[i] with the presence of items[i]: Stored when the ID is
// stored in the collection with the same key, Cached when the key's vector
// is in the cache, Missing otherwise. It costs one query per call.
//
// It runs again on a lost connection, within the time [Store.SetRetry] sets.
func (s *Store) Lookup(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	return s.retry(ctx, func() error { return s.lookupOnce(ctx, collection, items, out) })
}

// Put stores entries in the cache and items in the collection in one
// transaction. An entry whose key is cached already replaces the cached
// vector (the last of several entries with one key wins). An item may
// refer to an entry of this call or to a cached key.
//
// The first vectors stored set the collection's dimensions; a vector of other dimensions fails the
// whole Put with a *[salvo.DimensionError] and nothing is stored.
//
// It runs again on a lost connection, within the time [Store.SetRetry] sets.
func (s *Store) Put(ctx context.Context, collection string, entries []salvo.Entry, items []salvo.Item) error {
	return s.retry(ctx, func() error { return s.putOnce(ctx, collection, entries, items) })
}

// RecordRun appends r to the run ledger.
//
// It runs again on a lost connection, within the time [Store.SetRetry] sets.
func (s *Store) RecordRun(ctx context.Context, r salvo.RunRecord) error {
	return s.retry(ctx, func() error { return s.recordRunOnce(ctx, r) })
}

// Index builds the collection's HNSW index (cosine distance) when pgvector
// is used, the vectors have at most [MaxIndexDims] dimensions and the index
// does not exist yet; otherwise it does nothing.
// salvo embed calls it at the end of a run: building the index over all
// vectors at once is about ten times faster than growing it with every
// Put, and later runs add their few changed vectors to it.
//
// It runs again on a lost connection, within the time [Store.SetRetry] sets.
func (s *Store) Index(ctx context.Context, collection string) error {
	return s.retry(ctx, func() error { return s.indexOnce(ctx, collection) })
}
