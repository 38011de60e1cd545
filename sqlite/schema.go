package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// applicationID marks a SQLite file as a salvo database ("SALV"), so that
// `file` and salvo itself can tell it from other SQLite files.
const applicationID = 0x53414c56

// migrations[i] takes the schema from version i to i+1; PRAGMA user_version
// holds the version a database is at. Append new steps; never edit old ones.
// A new file gets newSchema instead, which must build the same schema: a
// new step changes newSchema too (TestNewSchemaIsMigratedSchema).
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
	` + runsTable,
	// 2: how a collection was embedded, so a query is embedded alike, and
	// the record fields kept with each item (a JSON object, NULL for none).
	`ALTER TABLE collections ADD COLUMN prefix     TEXT    NOT NULL DEFAULT '';
	ALTER TABLE collections ADD COLUMN endpoint   TEXT    NOT NULL DEFAULT '';
	ALTER TABLE collections ADD COLUMN dimensions INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE collections ADD COLUMN digest     TEXT    NOT NULL DEFAULT '';
	ALTER TABLE collections ADD COLUMN keep       TEXT    NOT NULL DEFAULT '';
	ALTER TABLE items ADD COLUMN fields TEXT CHECK (fields IS NULL OR json_valid(fields));`,
	// 3: aliases, names that stand for a collection (salvo alias). The
	// reference keeps a collection an alias points to from being deleted.
	aliasesTable,
	// 4: the words of each item (its text and its kept fields' values) in
	// an FTS5 index, for search by words (BM25). Triggers keep it in step
	// with items in the transaction that writes them; the items already
	// stored are indexed here. See words.go.
	wordsSchema,
	// 5: the pieces of long records, one vector each, under the record's
	// ID and the piece's number, with its byte offsets in the text.
	chunksTable,
	// 6: the vector file beside the database (vecfile.go). generation
	// counts the changes to a collection's vectors, bumped by triggers in
	// the transaction that makes them, whatever code path writes; file_*
	// describe the file last built, from generation file_generation. The
	// file is trusted only while both generations are equal.
	vectorFilesMigration,
	// 7: each text stored once: text_at is the offset in fields of the
	// null that stands for the cache's text (fieldtext.go), NULL when the
	// fields hold all they are.
	textInFieldsSchema,
	// 8: the words index stores each word once: a kept field's value the
	// text already holds is left out of the fields column (wordsfields.go).
	wordsOnceSchema,
	// 9: the words index brought up to date when searched, not when items
	// are stored (wordsdue.go).
	wordsDueSchema,
	// 10: kept values the text holds stored once (fieldrefs.go).
	textRefsSchema,
	// 11: the cache's CHECKs, which called length(), dropped: they made
	// SQLite keep a statement journal for every multi-row insert
	// (cacherows.go).
	cacheChecksSchema,
	// 12: the items inserted no longer bump their collection's generation
	// one by one, by trigger: Put bumps it once (putGenerationSchema).
	putGenerationSchema,
}

// The tables that no later step changed: the steps and newSchema share
// their text.
const (
	chunksTable = `CREATE TABLE chunks (
		collection_id INTEGER NOT NULL REFERENCES collections (id),
		id            TEXT    NOT NULL,
		chunk         INTEGER NOT NULL,
		start         INTEGER NOT NULL,
		"end"         INTEGER NOT NULL,
		cache_id      INTEGER NOT NULL REFERENCES cache (id),
		PRIMARY KEY (collection_id, id, chunk)
	) WITHOUT ROWID;`
	aliasesTable = `CREATE TABLE aliases (
		name          TEXT    PRIMARY KEY,
		collection_id INTEGER NOT NULL REFERENCES collections (id)
	) WITHOUT ROWID;
	CREATE INDEX aliases_by_collection ON aliases (collection_id);`
	runsTable = `CREATE TABLE runs (
		id          INTEGER PRIMARY KEY,
		collection  TEXT    NOT NULL,
		model       TEXT    NOT NULL,
		started_at  INTEGER NOT NULL,
		finished_at INTEGER NOT NULL,
		stats       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),
		args        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(args))
	);
	CREATE INDEX runs_by_collection ON runs (collection, started_at);`
)

// SchemaVersion is the schema version this build writes.
const SchemaVersion = 12

// newSchema is the schema at SchemaVersion, which a new file gets in one
// script: running the steps one by one (each ALTER TABLE and DROP
// TRIGGER makes SQLite parse the whole schema again) cost a new file's
// Open about 8 ms of CPU. It must stay what the steps build, object for
// object and in the same order; TestNewSchemaIsMigratedSchema compares the
// two. A new step appended to migrations changes it too.
const newSchema = `CREATE TABLE collections (
		id         INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL UNIQUE,
		model      TEXT    NOT NULL,
		dims       INTEGER NOT NULL DEFAULT 0,
		template   TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		prefix     TEXT    NOT NULL DEFAULT '',
		endpoint   TEXT    NOT NULL DEFAULT '',
		dimensions INTEGER NOT NULL DEFAULT 0,
		digest     TEXT    NOT NULL DEFAULT '',
		keep       TEXT    NOT NULL DEFAULT ''
	);
	` + cacheTable + `
	CREATE TABLE items (
		collection_id INTEGER NOT NULL REFERENCES collections (id),
		id            TEXT    NOT NULL,
		cache_id      INTEGER NOT NULL REFERENCES cache (id),
		updated_at    INTEGER NOT NULL,
		fields        TEXT CHECK (fields IS NULL OR json_valid(fields)),
		text_at       INTEGER,
		text_refs     TEXT,
		PRIMARY KEY (collection_id, id)
	) WITHOUT ROWID;
	` + runsTable + `
	` + aliasesTable + `
	` + wordsTables + `
	` + chunksTable + `
	` + vectorFilesTable + `
	` + newVectorFilesTriggers + `
	` + wordsDueTable + `
	` + wordsDueTriggers

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
	// Checked again inside the transaction: another process may have
	// created the schema since checkOwner.
	if err := owned(path, appID, version, tables); err != nil {
		return err
	}
	if version == SchemaVersion {
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("open database %s: %w", path, err)
		}
		return nil
	}
	if version == 0 {
		// A new file (owned refuses a version 0 file that has tables).
		if _, err := tx.ExecContext(ctx, newSchema); err != nil {
			return fmt.Errorf("creating the schema of %s: %w", path, err)
		}
	}
	for v := version; v > 0 && v < SchemaVersion; v++ {
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

// queryer is a *sql.DB, *sql.Conn or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkOwner refuses a file that is not salvo's before any statement that
// writes. It first reads the file's header (a file that is not SQLite, or
// another program's application id, is refused without SQLite opening it),
// then asks SQLite, with statements that only read, for the application id,
// the schema version and the number of tables: the header of a file in WAL
// mode may be older than its log.
func checkOwner(ctx context.Context, db queryer, path string) error {
	if err := checkHeader(path); err != nil {
		return err
	}
	// One statement, so one snapshot: read one by one, the three could
	// straddle another process's creation of the schema (no application
	// id yet, then its tables) and take a new salvo file for another
	// program's.
	var version, appID, tables int
	err := db.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id()),
		(SELECT user_version FROM pragma_user_version()), (SELECT count(*) FROM sqlite_schema)`).Scan(&appID, &version, &tables)
	if err != nil {
		if errNotADB(err) {
			return fmt.Errorf("%s is not a salvo database: %w; choose another path", path, err)
		}
		return fmt.Errorf("open database %s: %w", path, err)
	}
	return owned(path, appID, version, tables)
}

// owned says whether a database with these header values may be used: a new
// one, or salvo's at a schema this build knows.
func owned(path string, appID, version, tables int) error {
	switch {
	case appID == 0 && version == 0 && tables == 0:
		return nil // a new file
	case appID != applicationID && tables < 0:
		return fmt.Errorf("%s is not a salvo database: it is a SQLite database of another program (application_id %#x): choose another path", path, appID)
	case appID != applicationID:
		return fmt.Errorf("%s is not a salvo database: it is a SQLite database of another program (application_id %#x, %d tables and indexes): choose another path", path, appID, tables)
	case version > SchemaVersion:
		return fmt.Errorf("%s was written by a newer salvo (schema version %d, this salvo knows up to %d): upgrade salvo", path, version, SchemaVersion)
	}
	return nil
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader reads the first 100 bytes of path, SQLite's file header, and
// refuses a file that is not a SQLite database or carries another
// program's application id. A missing or empty file is a new database.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	if n == 0 && (err == io.EOF || err == nil) {
		return nil
	}
	if n < len(h) || string(h[:len(sqliteMagic)]) != sqliteMagic {
		return fmt.Errorf("%s is not a salvo database: it is not a SQLite file; choose another path", path)
	}
	if appID := binary.BigEndian.Uint32(h[68:72]); appID != 0 && appID != applicationID {
		return owned(path, int(int32(appID)), int(binary.BigEndian.Uint32(h[60:64])), -1)
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
