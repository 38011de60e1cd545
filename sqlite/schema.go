package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// applicationID marks a SQLite file as a salvo database ("SALV"), so that
// `file` and salvo itself can tell it from other SQLite files.
const applicationID = 0x53414c56

// migrations[i] takes the schema from version i to i+1; PRAGMA user_version
// holds the version a database is at. Append new steps; never edit old ones.
//
// Times are unix milliseconds. Vectors are little-endian float32 blobs. The
// cache is shared by all collections, so the same text under a new ID or in
// a new collection costs no request; items point at their cache row.
var migrations = []string{
	`CREATE TABLE collections (
		id         INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL UNIQUE,
		model      TEXT    NOT NULL,
		dims       INTEGER NOT NULL DEFAULT 0,
		template   TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE cache (
		id     INTEGER PRIMARY KEY,
		key    BLOB    NOT NULL UNIQUE CHECK (length(key) = 32),
		dims   INTEGER NOT NULL,
		vector BLOB    NOT NULL CHECK (length(vector) = 4 * dims),
		text   TEXT    NOT NULL DEFAULT ''
	);
	CREATE TABLE items (
		collection_id INTEGER NOT NULL REFERENCES collections (id),
		id            TEXT    NOT NULL,
		cache_id      INTEGER NOT NULL REFERENCES cache (id),
		updated_at    INTEGER NOT NULL,
		PRIMARY KEY (collection_id, id)
	) WITHOUT ROWID;
	CREATE TABLE runs (
		id          INTEGER PRIMARY KEY,
		collection  TEXT    NOT NULL,
		model       TEXT    NOT NULL,
		started_at  INTEGER NOT NULL,
		finished_at INTEGER NOT NULL,
		stats       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),
		args        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(args))
	);
	CREATE INDEX runs_by_collection ON runs (collection, started_at);`,
	// 2: how a collection was embedded, so a query is embedded alike, and
	// the record fields kept with each item (a JSON object, NULL for none).
	`ALTER TABLE collections ADD COLUMN prefix     TEXT    NOT NULL DEFAULT '';
	ALTER TABLE collections ADD COLUMN endpoint   TEXT    NOT NULL DEFAULT '';
	ALTER TABLE collections ADD COLUMN dimensions INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE collections ADD COLUMN digest     TEXT    NOT NULL DEFAULT '';
	ALTER TABLE collections ADD COLUMN keep       TEXT    NOT NULL DEFAULT '';
	ALTER TABLE items ADD COLUMN fields TEXT CHECK (fields IS NULL OR json_valid(fields));`,
}

// SchemaVersion is the schema version this build writes.
const SchemaVersion = 2

func init() {
	if len(migrations) != SchemaVersion {
		panic("sqlite: SchemaVersion does not match the migrations")
	}
}

// migrate brings the database on db up to SchemaVersion in one
// transaction, refusing files that belong to something else or to a newer
// salvo.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	defer tx.Rollback() // a no-op once committed
	var version, appID, tables int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	switch {
	case appID == 0 && version == 0 && tables == 0:
		// a new file: create the schema below
	case appID != applicationID:
		return fmt.Errorf("%s is not a salvo database: it is a SQLite database of another program (application_id %#x, %d tables and indexes): choose another path", path, appID, tables)
	case version > SchemaVersion:
		return fmt.Errorf("%s was written by a newer salvo (schema version %d, this salvo knows up to %d): upgrade salvo", path, version, SchemaVersion)
	case version == SchemaVersion:
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("open database %s: %w", path, err)
		}
		return nil
	}
	for v := version; v < SchemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("upgrading %s from schema version %d to %d: %w", path, v, v+1, err)
		}
	}
	// PRAGMA arguments cannot be bound; both values are integers we control.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("upgrading %s to schema version %d: %w", path, SchemaVersion, err)
	}
	return nil
}

// errNotADB reports whether err is SQLite's SQLITE_NOTADB: the file exists
// but is not a SQLite database (or is encrypted).
func errNotADB(err error) bool {
	var se interface{ Code() int }
	return errors.As(err, &se) && se.Code()&0xff == sqliteNotADB
}

const sqliteNotADB = 26
