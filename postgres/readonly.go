package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/salvoembed/salvo"
)

// OpenReadOnly connects to salvo's schema at rawURL for reading only: it
// creates no schema, table or extension, upgrades nothing, and makes no
// temporary table; every session runs with default_transaction_read_only,
// so the server refuses any write.
//
// A schema without salvo's tables (or no schema at all) is a
// *[salvo.NoSchemaError]; tables of an older version, which only [Open]
// upgrades, a *[salvo.OldSchemaError]. Writes return errors wrapping
// [salvo.ErrReadOnly].
func OpenReadOnly(ctx context.Context, rawURL string) (*Store, error) {
	connURL, schema, err := splitSchema(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Store{where: Redact(rawURL), schema: schema, readOnly: true}
	pool, srv, err := connect(ctx, connURL, func(ctx context.Context, conn *pgx.Conn, srv *Server) error {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", quoteIdent(schema)+".meta").Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return &salvo.NoSchemaError{Where: s.where}
		}
		kind, version, err := readMeta(ctx, conn, quoteIdent(schema))
		if err != nil {
			return err
		}
		if version < SchemaVersion {
			return &salvo.OldSchemaError{Where: s.where, Version: version, Current: SchemaVersion}
		}
		if kind == VectorsPgvector && srv.Pgvector == "" {
			return fmt.Errorf("schema %s stores vectors with pgvector, but the vector extension is not installed in this database: run CREATE EXTENSION vector", schema)
		}
		s.vec = kind == VectorsPgvector
		s.vecTyp = quoteIdent(srv.VectorSchema) + ".vector"
		s.copy = !srv.PGlite
		s.q = newQueries(quoteIdent(schema), s.vec)
		return nil
	}, func(cfg *pgxpool.Config, _ *Server) {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	})
	var ns *salvo.NoSchemaError
	var old *salvo.OldSchemaError
	switch {
	case errors.As(err, &ns):
		return nil, ns
	case errors.As(err, &old):
		return nil, old
	case err != nil:
		return nil, err
	}
	s.pool, s.srv = pool, *srv
	return s, nil
}

// readOnlyErr is the error of a write to a store opened with OpenReadOnly.
func (s *Store) readOnlyErr(what string) error {
	return fmt.Errorf("%s in %s: %w", what, s.where, salvo.ErrReadOnly)
}
