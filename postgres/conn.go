package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

// Server describes the PostgreSQL server behind a URL.
type Server struct {
	// Version is what version() answers, e.g. "PostgreSQL 15.14 (Debian …)".
	Version string
	// PGlite is true for PGlite (PostgreSQL compiled to WebAssembly): one
	// backend serves every connection, so salvo uses a single connection,
	// the simple query protocol (each query is one message the server runs
	// whole) and multi-row INSERTs, as it has no COPY FROM STDIN.
	PGlite bool
	// Pgvector is the version of the vector extension that is installed in
	// the database, "" when it is not installed.
	Pgvector string
	// PgvectorAvailable reports that the extension can be installed
	// (pg_available_extensions lists it).
	PgvectorAvailable bool
	// VectorSchema is the schema the extension's objects live in.
	VectorSchema string
}

// IsURL reports whether s is a PostgreSQL connection URL
// (postgres://… or postgresql://…).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns the URL without its password, for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return u.Redacted()
}

// Connect opens a connection pool to the server at rawURL (any URL or
// keyword/value string pgx accepts) and checks that the server answers. On
// PGlite the pool holds one connection and uses the simple protocol. When
// the vector extension is installed, its type is registered so vectors
// travel in binary.
//
// Most programs use [Open], which connects and sets up salvo's schema; the
// catalog reader and the write-back use Connect for the user's database.
func Connect(ctx context.Context, rawURL string) (*pgxpool.Pool, *Server, error) {
	return connect(ctx, rawURL, nil, nil)
}

// connect is [Connect] with a step that runs on the first connection
// before the pool is made (Open sets up salvo's schema there, which may
// install the vector extension), and one that adjusts the pool's
// configuration.
func connect(ctx context.Context, rawURL string, prepare func(context.Context, *pgx.Conn, *Server) error, configure func(*pgxpool.Config, *Server)) (*pgxpool.Pool, *Server, error) {
	where := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("PostgreSQL URL %s: %w: write it as postgres://user:password@host:5432/database", where, err)
	}
	// A first connection of its own says what the server is, before the
	// pool is set up for it.
	// It sends every query as one message (the simple protocol): PGlite
	// shares one session among connections, so a statement prepared here
	// would outlive the connection.
	first := cfg.ConnConfig.Copy()
	first.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, first)
	if err != nil {
		return nil, nil, connectError(where, err)
	}
	srv, err := describe(ctx, conn)
	if err == nil && prepare != nil {
		err = prepare(ctx, conn, srv)
	}
	conn.Close(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	if srv.Pgvector != "" {
		registerVector(cfg, srv.VectorSchema)
	}
	if srv.PGlite {
		cfg.MaxConns = 1
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	if configure != nil {
		configure(cfg, srv)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, connectError(where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, connectError(where, err)
	}
	return pool, srv, nil
}

// describe asks the server what it is and whether pgvector is there. Every
// query is without arguments, so pgx sends it with the simple protocol,
// which PGlite serves as well.
func describe(ctx context.Context, conn *pgx.Conn) (*Server, error) {
	srv := new(Server)
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&srv.Version); err != nil {
		return nil, err
	}
	srv.PGlite = strings.Contains(srv.Version, "PGlite")
	err := conn.QueryRow(ctx, `SELECT coalesce((SELECT e.extversion || ' ' || n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'), ''),
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')`).Scan(&srv.Pgvector, &srv.PgvectorAvailable)
	if err != nil {
		return nil, err
	}
	srv.Pgvector, srv.VectorSchema, _ = strings.Cut(srv.Pgvector, " ")
	return srv, nil
}

// registerVector makes the pool's connections encode and decode the vector
// type (its OID differs per database) in binary.
func registerVector(cfg *pgxpool.Config, schema string) {
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if after != nil {
			if err := after(ctx, conn); err != nil {
				return err
			}
		}
		var oid uint32
		if err := conn.QueryRow(ctx, "SELECT to_regtype($1)::oid", quoteIdent(schema)+".vector").Scan(&oid); err != nil {
			return fmt.Errorf("find the vector type: %w", err)
		}
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "vector", OID: oid, Codec: &pgxvec.VectorCodec{}})
		return nil
	}
}

// connectError words a failed connection with what to check.
func connectError(where string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("PostgreSQL at %s refused the login: %s: check the user and password in the URL", where, pe.Message)
		case "3D000":
			return fmt.Errorf("PostgreSQL at %s: %s: create it (createdb) or name another database in the URL", where, pe.Message)
		}
	}
	return fmt.Errorf("cannot connect to PostgreSQL at %s: %w: check the URL and that the server is running", where, err)
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }
