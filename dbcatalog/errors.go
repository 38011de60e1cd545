package dbcatalog

import (
	"errors"
	"fmt"
	"strings"
)

// The errors of this package state facts: what is wrong, in which
// database, table or column. What to do about it depends on the program
// using the package (salvo's command line adds the flags to change).

// ErrEmptyQuery is a query of nothing but blanks and semicolons.
var ErrEmptyQuery = errors.New("the query is empty")

// DSNError is a database name that [Open] cannot use: a SQLite name that
// names no file, or a file that does not exist or is not a SQLite database.
type DSNError struct {
	DSN    string // as given
	Path   string // the file it names, when it names one
	Reason string // what is wrong, e.g. "no such SQLite file"
	Err    error  // the underlying error, if any
}

func (e *DSNError) Error() string {
	msg := e.DSN
	if e.Path != "" && e.Path != e.DSN {
		msg += " (file " + e.Path + ")"
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *DSNError) Unwrap() error { return e.Err }

// ConnError is a database that a query or a write could not reach.
type ConnError struct {
	DB  string // the file, or the URL without password
	Err error
}

func (e *ConnError) Error() string { return e.DB + ": " + e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }

// QueryError is a query that the database refused or failed.
type QueryError struct {
	DB      string // the file, or the URL without password
	SQLite  bool   // which database: SQLite, else PostgreSQL
	Message string // the database's message
	At      string // PostgreSQL: the query from where it failed, if it says
	Err     error
}

func (e *QueryError) Error() string {
	msg := "the query failed in " + e.DB + ": " + e.Message
	if e.At != "" {
		msg += fmt.Sprintf(" (at %q)", e.At)
	}
	return msg
}

func (e *QueryError) Unwrap() error { return e.Err }

// NoIDColumnError is a query result, or a write-back table, without the
// column that holds record IDs.
type NoIDColumnError struct {
	Table   string // "" for the query's result
	Column  string
	Columns []string // the columns there are
}

func (e *NoIDColumnError) Error() string {
	if e.Table == "" {
		return fmt.Sprintf("the query's result has no column %q for record IDs (its columns: %s)", e.Column, strings.Join(e.Columns, ", "))
	}
	return fmt.Sprintf("table %s has no ID column %q (its columns: %s)", e.Table, e.Column, strings.Join(e.Columns, ", "))
}

// NotIntegerIDError is an ID column that must hold integers (to split the
// rows into ranges, [DB.Bounds]) and does not.
type NotIntegerIDError struct {
	Column string
}

func (e *NotIntegerIDError) Error() string {
	return fmt.Sprintf("the ID column %q does not hold integers, so the rows cannot be split into ID ranges", e.Column)
}

// TargetError is a write-back target that cannot take vectors: misspelt,
// or naming a table that does not exist or a column of another kind.
type TargetError struct {
	Target string // as given, or the parsed [Target]
	DB     string // the database, when known
	Reason string // e.g. "table movies does not exist", "column note is text, not BLOB"
	// Missing is set when the table does not exist; WrongType when the
	// column holds something other than vectors.
	Missing, WrongType bool
}

func (e *TargetError) Error() string {
	msg := "write-back " + e.Target
	if e.DB != "" {
		msg += " in " + e.DB
	}
	return msg + ": " + e.Reason
}

// DimsError is a write-back column that holds vectors of other dimensions
// than the ones to write.
type DimsError struct {
	Target       Target
	Column, Want int // the column's dimensions, the vectors'
}

func (e *DimsError) Error() string {
	return fmt.Sprintf("write-back %s: column %s holds %d-dimensional vectors, the model gives %d", e.Target, e.Target.Column, e.Column, e.Want)
}

// WriteBackError is a write-back that the database failed.
type WriteBackError struct {
	Target Target
	DB     string
	Err    error
}

func (e *WriteBackError) Error() string {
	return fmt.Sprintf("write-back %s in %s: %v", e.Target, e.DB, e.Err)
}

func (e *WriteBackError) Unwrap() error { return e.Err }

// NotUniqueError is a write-back whose ID column does not name one row:
// writing by it would put one record's vector into another record's row.
type NotUniqueError struct {
	Target   Target
	IDColumn string
	Value    string // an ID that more than one row holds
	Rows     int64  // how many rows hold it
	DB       string // the database, for messages
}

func (e *NotUniqueError) Error() string {
	return fmt.Sprintf("table %s in %s: column %q is not unique (%d rows hold %q), so it cannot key the write-back to %s",
		e.Target.Table, e.DB, e.IDColumn, e.Rows, e.Value, e.Target)
}
