// Package dbcatalog reads catalogs of records from the user's own
// database, PostgreSQL or SQLite, and writes their vectors back into it.
//
//	db, err := dbcatalog.Open(ctx, "postgres://app@localhost/shop")
//	rows, err := db.Query(ctx, "SELECT id, title, summary FROM movies", "id")
//	for { rec, err := rows.Next(); … }         // one salvo.Record per row
//
//	w, err := db.WriteBack(ctx, "movies.embedding", "id", 768) // the vectors' length (0: checked at the first write)
//	st, err = w.Wrap(st)                       // the engine stores through it
//
// Example runs this on a SQLite file.
//
// Rows stream: PostgreSQL rows come through a cursor, a page at a time;
// SQLite runs the query once into a temporary table (a snapshot in its
// temporary storage) read a page at a time, so that no read transaction
// stays open while vectors are written back, and writing back cannot
// shift the rows still to come, whatever the query filters on. A row's
// columns are the record's fields: numbers keep their spelling
// (json.Number), PostgreSQL arrays and JSON columns become lists and
// objects. A row whose ID is NULL or empty is a row error; reading goes on.
//
// The write-back writes each record's vector into a column of the user's
// table, keyed by the ID column: a pgvector vector(N) column in PostgreSQL
// when the extension is there, else real[]; in SQLite a BLOB of
// little-endian float32 (what sqlite-vec reads). The ID column must be
// unique in the table. It creates the column when it is missing, writes
// only rows whose vector changed, and touches no other column or row.
//
// The code shared by both databases is in dbcatalog.go, rows.go,
// writeback.go and wrap.go; each one's SQL in postgres.go and sqlite.go.
// Errors are types that state the facts (errors.go); they name no flag of
// any program.
package dbcatalog

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/salvoembed/salvo/postgres"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// DB is the user's database.
type DB struct {
	where string // for messages: the file, or the URL without password

	pool *pgxpool.Pool // PostgreSQL
	srv  *postgres.Server
	hold bool // a write-back will add a column: queries must not keep a transaction open

	lite *sql.DB // SQLite
}

// IsSQLite reports whether dsn names a SQLite file (sqlite:PATH or a path)
// rather than a PostgreSQL URL.
func IsSQLite(dsn string) bool { return !postgres.IsURL(dsn) }

// Open connects to the database dsn names: a postgres:// or postgresql://
// URL, or a SQLite file (a path, sqlite:PATH or a file: URI; see
// [SQLitePath]), which must exist. A SQLite name that names no file, or a
// file that is missing or not a database, gives a *[DSNError].
func Open(ctx context.Context, dsn string) (*DB, error) {
	if postgres.IsURL(dsn) {
		pool, srv, err := postgres.Connect(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return &DB{where: postgres.Redact(dsn), pool: pool, srv: srv}, nil
	}
	return openSQLite(ctx, dsn)
}

// Where is the database for messages: its file, or its URL without the
// password.
func (db *DB) Where() string { return db.where }

// Close closes the connections.
func (db *DB) Close() error {
	if db.pool != nil {
		db.pool.Close()
		return nil
	}
	return db.lite.Close()
}
