package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/salvoembed/salvo"
)

// readCacheKiB is the page cache of each connection of a read-only store,
// in KiB (SQLite's default: 2,000). A read-only store serves searches
// (salvo serve keeps one for its life), whose vectors are mapped from their
// file, not read through the cache: under hybrid load the default caches of
// the five connections held 12 MB more for the same answers.
const readCacheKiB = 512

// OpenReadOnly opens an existing salvo database for reading only: it
// creates no file, sets no journal mode and upgrades no schema, and every
// connection runs with query_only, so nothing it does can write. (SQLite
// keeps a WAL file's -wal and -shm beside it while it is open, and removes
// them at Close, as for any reader.)
//
// A path that does not exist is an error wrapping [os.ErrNotExist]; a file
// without salvo's tables (an empty one) a *[salvo.NoSchemaError]; a
// database of an older schema version, which only [Open] upgrades, a
// *[salvo.OldSchemaError]. Writes return errors wrapping
// [salvo.ErrReadOnly].
func OpenReadOnly(path string) (*Store, error) {
	ctx := context.Background()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("open database %s: it is a folder: give a file path such as %s", path, filepath.Join(path, "salvo.db"))
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", BusyTimeout.Milliseconds())
	dsn := uri + "?" + busy + fmt.Sprintf("&_pragma=query_only(1)&_pragma=cache_size(-%d)", readCacheKiB)
	s := &Store{path: path, readOnly: true, uri: uri}
	if s.w, err = sql.Open("sqlite", dsn); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	if s.r, err = sql.Open("sqlite", dsn); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(maxReaders)
	s.r.SetMaxIdleConns(maxReaders)
	s.r.SetConnMaxLifetime(0)
	err = s.checkReadable(ctx)
	if err != nil && cantOpen(err) && onReadOnlyFS(filepath.Dir(abs)) {
		s.r.Close()
		s.w.Close()
		if err := s.openImmutable(abs, dsn); err != nil {
			return nil, err
		}
		err = s.checkReadable(ctx)
	}
	if err == nil {
		if err = s.st.prepare(ctx, s.w, s.r); err != nil {
			err = s.openErr(err)
		}
	}
	if err != nil {
		s.r.Close()
		s.w.Close()
		return nil, err
	}
	return s, nil
}

// checkReadable refuses what is not a salvo database at the current schema
// version.
func (s *Store) checkReadable(ctx context.Context) error {
	// One read transaction: the checks see one snapshot, not a schema that
	// a salvo embed creates between two of them.
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return s.openErr(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return s.openErr(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "COMMIT") //nolint:errcheck // a read: nothing to commit
	if err := checkOwner(ctx, conn, s.path); err != nil {
		return err
	}
	var version, tables int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.openErr(err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return s.openErr(err)
	}
	switch {
	case tables == 0:
		return &salvo.NoSchemaError{Where: s.path}
	case version < SchemaVersion:
		return &salvo.OldSchemaError{Where: s.path, Version: version, Current: SchemaVersion}
	}
	return nil
}

// readOnlyErr is the error of a write to a store opened with OpenReadOnly.
func (s *Store) readOnlyErr(what string) error {
	return fmt.Errorf("%s in %s: %w", what, s.path, salvo.ErrReadOnly)
}

// ErrReadOnlyFS is what a store opened on a read-only file system answers
// to the one write a reading store makes (IndexWords), within a
// *[NotWritableError].
var ErrReadOnlyFS = errors.New("it is on a read-only file system")

// openImmutable opens the database at abs, on a read-only file system, as
// immutable. A database in WAL mode needs a -shm file beside it, which a
// read-only file system cannot hold; as immutable, SQLite reads the
// database file alone, without locks: right when nothing can change it,
// and when no write-ahead log holds commits the file does not (salvo
// folds the log into the file when its last connection closes).
func (s *Store) openImmutable(abs, dsn string) error {
	if fi, err := os.Stat(abs + "-wal"); err == nil && fi.Size() > 0 {
		return &PendingLogError{Path: s.path, Log: s.path + "-wal"}
	}
	var err error
	dsn += "&immutable=1"
	if s.w, err = sql.Open("sqlite", dsn); err != nil {
		return fmt.Errorf("open database %s: %w", s.path, err)
	}
	s.w.SetMaxOpenConns(1)
	if s.r, err = sql.Open("sqlite", dsn); err != nil {
		s.w.Close()
		return fmt.Errorf("open database %s: %w", s.path, err)
	}
	s.r.SetMaxOpenConns(maxReaders)
	s.r.SetMaxIdleConns(maxReaders)
	s.r.SetConnMaxLifetime(0)
	s.immutable = true
	return nil
}

// PendingLogError is a database on a read-only file system whose
// write-ahead log holds commits not yet in the database file: without its
// -shm file SQLite cannot read the log, and the file alone would be an
// older state.
type PendingLogError struct {
	Path string // the database, as given
	Log  string // its write-ahead log
}

func (e *PendingLogError) Error() string {
	return fmt.Sprintf("database %s is on a read-only file system and its write-ahead log %s holds commits not yet in it: "+
		"open it once where it can be written (any salvo command folds the log in when it closes), then mount it read-only again", e.Path, e.Log)
}

// cantOpen says whether err is SQLite's "unable to open database file"
// (or its read-only variant), what a WAL database whose -shm file cannot
// be made gives.
func cantOpen(err error) bool {
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code()
	return code&0xff == sqliteCantOpen || code == sqliteReadOnlyCantInit
}

const (
	sqliteCantOpen         = 14
	sqliteReadOnlyCantInit = sqliteReadOnly | 5<<8
)
