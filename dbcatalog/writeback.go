package dbcatalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Target is a write-back column: [schema.]table.column.
type Target struct {
	Schema, Table, Column string
}

// ParseTarget reads TABLE.COLUMN or SCHEMA.TABLE.COLUMN.
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" {
			parts = nil
		}
	}
	switch len(parts) {
	case 2:
		return Target{Table: parts[0], Column: parts[1]}, nil
	case 3:
		return Target{Schema: parts[0], Table: parts[1], Column: parts[2]}, nil
	}
	return Target{}, &TargetError{Target: s, Reason: "not TABLE.COLUMN or SCHEMA.TABLE.COLUMN"}
}

func (t Target) String() string {
	if t.Schema != "" {
		return t.Schema + "." + t.Table + "." + t.Column
	}
	return t.Table + "." + t.Column
}

// table is the quoted, qualified table name.
func (t Target) table() string {
	q := pgx.Identifier{t.Table}
	if t.Schema != "" {
		q = pgx.Identifier{t.Schema, t.Table}
	}
	return q.Sanitize()
}

// WriteBack writes vectors into a column of the user's table. Create it
// with [DB.WriteBack]; it is safe for use by one writer and one reader
// (Lookup) at a time, as salvo's engine does.
type WriteBack struct {
	db     *DB
	t      Target
	idCol  string
	col    string // quoted column
	idType string // PostgreSQL: the ID column's type, for casts
	oid    uint32 // PostgreSQL: the table's

	kind  string // the column's type: "vector", "real[]", "blob"; "" while it is missing
	dims  int    // the column's dimensions, 0 while unknown
	vecNS string // PostgreSQL: the schema of the vector extension

	// Created is set to the column's type (e.g. "vector(384)") when this
	// write-back created the column.
	Created string
	// Written counts rows whose vector was written; unchanged rows are not.
	Written int
	// Duplicates counts records whose ID had been written already in this
	// run: their vector replaced the earlier one.
	Duplicates int
	// FirstDuplicate is the first such ID.
	FirstDuplicate string

	// Pieces counts the pieces of long records written into
	// ChunkTable (missing there, or holding another vector or
	// offsets); ChunkedRecords the records they belong to.
	Pieces, ChunkedRecords int

	seen map[string]struct{}

	chunkName     string // the table of the pieces, chosen by CheckChunks
	chunksChecked bool   // CheckChunks chose it, and found it fit or missing
	chunksExist   bool   // it exists
	chunkKind     string // PostgreSQL: the type of its vectors, "vector" or "real[]"
}

// ChunkTable is the table the pieces of long records go into:
// [schema.]<table>_chunks, or [schema.]<table>_<column>_chunks when
// <table>_chunks holds another column's pieces (or this column's pieces
// are there already). [WriteBack.CheckChunks] chooses it; before, it is
// [schema.]<table>_chunks.
func (w *WriteBack) ChunkTable() string {
	if w.t.Schema != "" {
		return w.t.Schema + "." + w.chunkTableName()
	}
	return w.chunkTableName()
}

// WriteBack prepares to write vectors into target ([schema.]table.column),
// keyed by the table's idColumn. It fails, writing nothing, when the table
// or the ID column does not exist, the ID column is not unique in the
// table (a *[NotUniqueError]), or the column holds something other than
// vectors. dims, when known (the collection's), is checked against
// the column now; otherwise at the first write.
func (db *DB) WriteBack(ctx context.Context, target, idColumn string, dims int) (*WriteBack, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	w := &WriteBack{db: db, t: t, idCol: idColumn, col: pgx.Identifier{t.Column}.Sanitize(), seen: map[string]struct{}{}}
	if db.pool != nil {
		err = w.inspectPostgres(ctx)
	} else {
		err = w.inspectSQLite(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := w.checkUnique(ctx); err != nil {
		return nil, err
	}
	if err := w.CheckDims(dims); err != nil {
		return nil, err
	}
	if w.kind == "" {
		db.hold = true // see Rows: the reader must not block the ALTER TABLE
	}
	return w, nil
}

// Target is where vectors are written.
func (w *WriteBack) Target() Target { return w.t }

func (w *WriteBack) noTable() error {
	return &TargetError{Target: w.t.String(), DB: w.db.where, Reason: "table " + w.t.Table + " does not exist", Missing: true}
}

func (w *WriteBack) noIDColumn(cols []string) error {
	return &NoIDColumnError{Table: w.t.Table, Column: w.idCol, Columns: cols}
}

func (w *WriteBack) wrongType(have string) error {
	want := "vector(N) or real[]"
	if w.db.lite != nil {
		want = "BLOB"
	}
	return &TargetError{Target: w.t.String(), DB: w.db.where, Reason: fmt.Sprintf("column %s is %s, not %s", w.t.Column, have, want), WrongType: true}
}

// CheckDims fails when the column holds vectors of other dimensions than
// dims (0: not known yet).
func (w *WriteBack) CheckDims(dims int) error {
	if dims == 0 {
		return nil
	}
	if w.dims != 0 && w.dims != dims {
		return &DimsError{Target: w.t, Column: w.dims, Want: dims}
	}
	return nil
}

// sampleDims reads the dimensions of a vector already in the column.
func (w *WriteBack) sampleDims(ctx context.Context, expr string) error {
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL LIMIT 1", expr, w.t.table(), w.col)
	var err error
	var n *int
	if w.db.pool != nil {
		err = w.db.pool.QueryRow(ctx, q).Scan(&n)
	} else {
		err = w.db.lite.QueryRowContext(ctx, q).Scan(&n)
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return w.dbError(err)
	}
	if n != nil {
		w.dims = *n
		if w.kind == "blob" {
			if w.dims%4 != 0 {
				return &TargetError{Target: w.t.String(), DB: w.db.where, Reason: fmt.Sprintf("column %s holds blobs of %d bytes, not float32 vectors", w.t.Column, w.dims), WrongType: true}
			}
			w.dims /= 4
		}
	}
	return nil
}

// Write writes vectors[i] into the row of ids[i], in one transaction,
// where the column does not hold it already. The first write creates the
// column when it is missing, and checks its dimensions; nothing is written
// when they differ. An ID written already in this run is written again
// (a later record of the ID replaced it: the last record of an ID wins) and
// counted in Duplicates; of an ID given twice in one call, the last vector
// is written.
func (w *WriteBack) Write(ctx context.Context, ids []string, vectors [][]float32) error {
	if len(ids) == 0 {
		return nil
	}
	last := make(map[string]int, len(ids))
	for i, id := range ids {
		last[id] = i
	}
	keepIDs, keepVecs := ids[:0:0], vectors[:0:0]
	for i, id := range ids {
		if last[id] != i {
			continue
		}
		if _, again := w.seen[id]; again {
			if w.Duplicates == 0 {
				w.FirstDuplicate = id
			}
			w.Duplicates++
		}
		keepIDs, keepVecs = append(keepIDs, id), append(keepVecs, vectors[i])
	}
	dims := len(keepVecs[0])
	if err := w.CheckDims(dims); err != nil {
		return err
	}
	var (
		n       int
		created string
		err     error
	)
	if w.db.pool != nil {
		n, created, err = w.writePostgres(ctx, keepIDs, keepVecs, dims)
	} else {
		n, created, err = w.writeSQLite(ctx, keepIDs, keepVecs, dims)
	}
	if err != nil {
		return w.dbError(err)
	}
	for _, id := range keepIDs {
		w.seen[id] = struct{}{}
	}
	w.Written += n
	if created != "" {
		w.Created = created
	}
	w.dims = dims
	return nil
}

// differing returns the IDs, of those given, whose row exists and does
// not hold vectors[i] (NULL or another vector; every existing row while
// the column is missing).
func (w *WriteBack) differing(ctx context.Context, ids []string, vectors [][]float32) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var err error
	if w.db.pool != nil {
		err = w.differingPostgres(ctx, ids, vectors, out)
	} else {
		err = w.differingSQLite(ctx, ids, vectors, out)
	}
	if err != nil {
		return nil, w.dbError(err)
	}
	return out, nil
}

// dbError is an error of the database while writing back.
func (w *WriteBack) dbError(err error) error {
	return &WriteBackError{Target: w.t, DB: w.db.where, Err: err}
}
