// Package sqlite keeps salvo's vectors, its content cache and its run ledger
// in one SQLite file. It implements [salvo.Store] with the pure-Go
// modernc.org/sqlite driver, so salvo needs no C compiler.
//
// Start with [Open]:
//
//	st, err := sqlite.Open("movies.db")
//	if err != nil { ... }
//	defer st.Close()
//	coll, err := st.OpenCollection(ctx, salvo.Collection{Name: "movies", Model: "nomic-embed-text"})
//
// # Durability
//
// The file runs in WAL mode with synchronous=NORMAL. Every [Store.Put] is one
// transaction: a process that is killed (kill -9, a crash, Ctrl-C) loses at
// most the transaction in flight, and the next Open recovers the rest. A
// power failure or an operating-system crash may also lose the last few
// committed transactions, never the file's consistency.
//
// # Concurrency
//
// A Store is safe for concurrent use. Writes go through one connection and
// are serialised; reads ([Store.Lookup], [Store.Each], [Store.Collections],
// [Store.Runs]) use their own connections and proceed while a write is in
// progress. Several processes may share a file: a writer waits up to
// [BusyTimeout] for another process's transaction to finish.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

const (
	// PageSize is the page size of new databases, in bytes; existing files
	// keep theirs. A run's writer commits thousands of records at once, and
	// each page it writes costs SQLite two system calls in the WAL and two
	// more at the checkpoint: 16 KiB pages cut a run's CPU per record by a
	// fifth against 4 KiB at 20,000 records and by a tenth at 200,000 (where
	// each commit rewrites more of the cache's random key index), and store
	// rows of 768 dimensions in 3.5 KB, not 4.2 KB (docs/BENCHMARKS.md).
	PageSize = 16384
	// BusyTimeout is how long a statement waits for another connection's
	// lock (another salvo process on the same file) before failing.
	BusyTimeout = 10 * time.Second
	// maxReaders bounds the read connections. Lookup and Each run beside
	// the writer; salvo's engine calls them from a goroutine or two.
	maxReaders = 4
)

var _ salvo.Store = (*Store)(nil)

// Store is a salvo store in a SQLite file. Create it with [Open].
type Store struct {
	path string
	w    *sql.DB // one connection: every write, in order
	r    *sql.DB // read-only connections
	st   statements
	// readOnly: opened with OpenReadOnly; every write is refused.
	// immutable: opened so on a read-only file system (readonly.go).
	readOnly, immutable bool
	files               vectorFiles // the vector files mapped (vecload.go)
	// spool: the vectors stored since each collection's vector file was
	// written (vecspool.go), under spoolMu.
	spoolMu sync.Mutex
	spool   spools
	// uri is the file's URI, for the connection IndexWords opens on a
	// read-only store; wordsMu makes one IndexWords run at a time.
	uri         string
	wordsMu     sync.Mutex
	wordsFailed time.Time // when IndexWords last failed; zero after a success
}

// Open opens the salvo database at path, creating the file and its schema
// when they do not exist and upgrading an older schema. The folder must
// exist.
func Open(path string) (*Store, error) {
	ctx := context.Background()
	if path == "" {
		return nil, errors.New("open database: empty path: give the file to keep vectors in, such as salvo.db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open database %s: it is a folder: give a file path such as %s", path, filepath.Join(path, "salvo.db"))
	}
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("open database %s: folder %s does not exist: create it first or choose another path", path, dir)
	}

	// A file: URI lets any file name through (SQLite decodes %-escapes), and
	// the driver applies the _pragma parameters to every new connection, so
	// connections the pool replaces are set up like the first ones. The
	// writer keeps its temporary files in memory: a statement that writes
	// many rows journals the pages it changes there, in case it fails
	// half-way, and on disk that cost two system calls a page.
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", BusyTimeout.Milliseconds())
	s := &Store{path: path}
	s.w, err = sql.Open("sqlite", uri+"?"+busy+"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(2)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	if err := s.setup(ctx, uri, busy); err != nil {
		s.w.Close()
		if s.r != nil {
			s.r.Close()
		}
		if errNotADB(err) {
			return nil, fmt.Errorf("%s is not a salvo database: %w; choose another path", path, err)
		}
		return nil, err
	}
	return s, nil
}

func (s *Store) setup(ctx context.Context, uri, busy string) error {
	// Two salvo processes opening one new file at once: SQLite answers a
	// journal mode switch or the schema's creation under the other's lock
	// with SQLITE_BUSY at once, whatever busy_timeout says. Those steps
	// are run again, within BusyTimeout.
	wait, deadline := 5*time.Millisecond, time.Now().Add(BusyTimeout)
	for {
		err := s.initFile(ctx)
		if err == nil {
			break
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
	var err error
	s.r, err = sql.Open("sqlite", uri+"?"+busy+"&_pragma=query_only(1)")
	if err != nil {
		return s.openErr(err)
	}
	s.r.SetMaxOpenConns(maxReaders)
	s.r.SetMaxIdleConns(maxReaders)
	s.r.SetConnMaxLifetime(0)
	if err := s.st.prepare(ctx, s.w, s.r); err != nil {
		return s.openErr(err)
	}
	return nil
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == 5 || code == 6
}

// initFile makes the file a salvo database in WAL mode at the current
// schema version, or checks that it is one.
func (s *Store) initFile(ctx context.Context) error {
	// Nothing may write before the file is known to be salvo's or new:
	// not even the journal mode, which rewrites another program's header.
	if err := checkOwner(ctx, s.w, s.path); err != nil {
		return err
	}
	// page_size only takes effect before the file has content, and WAL
	// fixes it for good, so it must come first (a no-op on existing files).
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", PageSize)); err != nil {
		return s.openErr(err)
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return s.openErr(err)
	}
	if mode != "wal" {
		return fmt.Errorf("open database %s: cannot switch to WAL mode (journal mode stays %q): put the file on a local file system", s.path, mode)
	}
	return migrate(ctx, s.w, s.path)
}

// openErr wraps err with the path, except SQLITE_NOTADB, which Open words
// itself.
func (s *Store) openErr(err error) error {
	if errNotADB(err) {
		return err
	}
	return fmt.Errorf("open database %s: %w", s.path, err)
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close closes the database. The last connection to close checkpoints the
// write-ahead log into the main file.
func (s *Store) Close() error {
	err := s.st.close()
	s.closeSpools()
	// Readers first, so that the writer's close is the last one and folds
	// the WAL back into the database file.
	return errors.Join(err, s.r.Close(), s.w.Close())
}

// SQLite's primary result codes that a failed write may carry.
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
)

// explain adds what to do next to the errors of a write that the file
// system refused. A failed transaction is rolled back whole: what was
// committed before stays.
func (s *Store) explain(err error) error {
	var se interface{ Code() int }
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqliteFull:
		return fmt.Errorf("%w\nThe disk holding %s is full: free some space and run the same command again (everything committed so far is kept)", err, s.path)
	case sqliteReadOnly:
		return &NotWritableError{Path: s.path, InRun: true, Err: err}
	case sqliteIOErr:
		return fmt.Errorf("%w\nA write to %s failed: check the disk, then run the same command again (everything committed so far is kept)", err, s.path)
	}
	return err
}

// CheckWritable reports whether the database at path (which may not exist
// yet) and its folder can be written, without writing anything: a run
// checks it before it sends a request whose answer it could not store. The
// error is a *NotWritableError.
func CheckWritable(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for _, p := range []string{abs, abs + "-wal", abs + "-shm"} {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		switch {
		case err == nil:
			f.Close()
		case errors.Is(err, os.ErrNotExist):
		default:
			return &NotWritableError{Path: path, Err: err}
		}
	}
	// SQLite creates its -wal and -shm files beside the database.
	dir := filepath.Dir(abs)
	f, err := os.CreateTemp(dir, ".salvo-write-check-*")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // Open says the folder is missing
		}
		return &NotWritableError{Path: path, Dir: dir, Err: err}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Describe says in a sentence where vectors are kept and how they are
// searched, for `salvo status`.
func (s *Store) Describe() string {
	return fmt.Sprintf("SQLite file %s: vectors as little-endian float32 blobs; salvo searches them exactly", s.path)
}
