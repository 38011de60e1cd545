// Package postgres keeps salvo's vectors, its content cache and its run
// ledger in PostgreSQL. It implements [salvo.Store] with pgx, and behaves
// as the SQLite store does: a content cache shared by all collections, one
// transaction per [Store.Put], nothing lost but the transaction in flight
// when a process is killed.
//
// Start with [Open]:
//
//	st, err := postgres.Open(ctx, "postgres://salvo@localhost/catalog")
//	if err != nil { ... }
//	defer st.Close()
//
// # Where things are
//
// The tables live in their own schema, salvo unless the URL names another
// (postgres://…/catalog?schema=embeddings). When the vector extension
// (pgvector) is installed, or can be installed, vectors are stored in
// `vector` columns and every collection gets an HNSW index for cosine
// distance, so [Store.Search] runs in the database. Without it vectors are
// stored as bytea (little-endian float32, as in salvo's SQLite files) and
// salvo searches them itself. [Store.VectorStorage] says which; a schema keeps
// the kind it was created with.
//
// # Writes
//
// A Put sends its vectors with COPY into a temporary table and moves them
// into the cache with one INSERT … ON CONFLICT; on PGlite, which has no
// COPY FROM STDIN, with multi-row INSERTs.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/salvoembed/salvo"
)

var _ salvo.Store = (*Store)(nil)

// Store is a salvo store in a PostgreSQL schema. Create it with [Open]. It
// is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	where  string // the URL without password, for messages
	schema string
	srv    Server
	vec    bool   // pgvector: vectors in vector columns, items hold a copy
	vecTyp string // the qualified vector type, e.g. "public".vector
	copy   bool   // the server takes COPY FROM STDIN
	q      queries
	// readOnly: opened with OpenReadOnly; every write is refused.
	readOnly bool
	// retryFor is how long calls retry on a lost connection (SetRetry).
	retryFor time.Duration
	// noIterative: filtered searches do without pgvector's iterative
	// scans, as with pgvector before 0.8 (for tests).
	noIterative bool
}

// Open connects to the PostgreSQL database at rawURL and creates salvo's
// schema and tables when they do not exist. The URL is any URL pgx
// accepts; its parameter schema names the schema (default [DefaultSchema]).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	original := rawURL
	rawURL, schema, err := splitSchema(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Store{where: Redact(original), schema: schema}
	pool, srv, err := connect(ctx, rawURL, func(ctx context.Context, conn *pgx.Conn, srv *Server) error {
		kind, err := setupSchema(ctx, conn, srv, schema)
		if err == nil && kind == VectorsPgvector && srv.Pgvector == "" {
			err = fmt.Errorf("schema %s stores vectors with pgvector, but the vector extension is not installed in this database: run CREATE EXTENSION vector", schema)
		}
		s.vec = kind == VectorsPgvector
		s.vecTyp = quoteIdent(srv.VectorSchema) + ".vector"
		s.copy = !srv.PGlite
		s.q = newQueries(quoteIdent(schema), s.vec)
		return err
	}, func(cfg *pgxpool.Config, srv *Server) {
		// Like SQLite's synchronous=NORMAL: a commit does not wait for its
		// WAL flush. A server crash may lose the last moment's commits,
		// never consistency, and the next run embeds them again. The URL
		// may say otherwise (?synchronous_commit=on).
		if _, set := cfg.ConnConfig.RuntimeParams["synchronous_commit"]; !set {
			cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
		}
		if !s.copy {
			return
		}
		// Each connection stages COPYs in temporary tables of its own.
		after := cfg.AfterConnect
		cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			if after != nil {
				if err := after(ctx, conn); err != nil {
					return err
				}
			}
			_, err := conn.Exec(ctx, s.q.staging(s.vectorType()))
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	s.pool, s.srv = pool, *srv
	return s, nil
}

// splitSchema takes the schema parameter out of a URL (PostgreSQL would
// take it for a setting and refuse the connection).
func splitSchema(rawURL string) (string, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !IsURL(rawURL) {
		return "", "", fmt.Errorf("%q is not a PostgreSQL URL: write postgres://user:password@host:5432/database", Redact(rawURL))
	}
	q := u.Query()
	schema := q.Get("schema")
	if schema == "" {
		schema = DefaultSchema
	}
	q.Del("schema")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func (s *Store) vectorType() string {
	if s.vec {
		return s.vecTyp
	}
	return "bytea"
}

// VectorStorage is how the store keeps vectors: [VectorsPgvector] or
// [VectorsBytea].
func (s *Store) VectorStorage() string {
	if s.vec {
		return VectorsPgvector
	}
	return VectorsBytea
}

// Server describes the server the store is on.
func (s *Store) Server() Server { return s.srv }

// Schema is the schema salvo's tables are in.
func (s *Store) Schema() string { return s.schema }

// Path returns where the store is: the URL without its password, with its
// ?schema= parameter.
func (s *Store) Path() string { return s.where }

// Describe says in a sentence where vectors are kept and how they are
// searched, for `salvo status`.
func (s *Store) Describe() string {
	server := strings.SplitN(s.srv.Version, " on ", 2)[0] // "PostgreSQL 18.6 (PGlite 0.5.14)"
	if s.vec {
		return fmt.Sprintf("%s, schema %s: pgvector %s; vectors in vector columns with an HNSW index (cosine) per collection; search runs in the database", server, s.schema, s.srv.Pgvector)
	}
	why := "the vector extension is not available on this server"
	switch {
	case s.srv.Pgvector != "":
		why = "the schema was created before pgvector was installed (a new schema, ?schema=NAME, would use it)"
	case s.srv.PgvectorAvailable:
		why = "the vector extension is available but salvo could not install it (CREATE EXTENSION vector needs a privileged user)"
	}
	return fmt.Sprintf("%s, schema %s: no pgvector (%s); vectors in bytea columns; salvo searches them exactly", server, s.schema, why)
}

// Close closes the store's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// noCollection is the error for a collection that does not exist.
func (s *Store) noCollection(name string) error {
	return fmt.Errorf("collection %q in %s: %w (open it first)", name, s.where, salvo.ErrNoCollection)
}

// wrap adds what failed and where; a canceled context stays recognisable.
func (s *Store) wrap(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s in %s: %w", fmt.Sprintf(format, a...), s.where, err)
}

var errNoRows = pgx.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }

// SplitURL returns the URL without its schema parameter, and the schema it
// names (default [DefaultSchema]): what other packages need to reach
// salvo's schema with their own connections.
func SplitURL(rawURL string) (connURL, schema string, err error) { return splitSchema(rawURL) }
