package sqlite

import "fmt"

// NotWritableError says that a database, or the folder that holds it,
// cannot be written. It states the facts; a program with a setting for the
// database's path adds it to the remedy with Message.
type NotWritableError struct {
	Path string // the database, as given
	Dir  string // the folder that cannot be written; "" when it is the file
	// InRun says a write failed during a run (a read-only mount, say): what
	// was committed before is kept. Otherwise the check before a run failed.
	InRun bool
	Err   error // the system's or SQLite's error
}

func (e *NotWritableError) Error() string { return e.Message("") }

// Message is Error with alt put after "make it writable", as in
// "make it writable or choose another --db".
func (e *NotWritableError) Message(alt string) string {
	switch {
	case e.InRun:
		return fmt.Sprintf("%v\n%s cannot be written (file permissions, or a read-only mount): make it writable%s (everything committed so far is kept)", e.Err, e.Path, alt)
	case e.Dir != "":
		return fmt.Sprintf("database %s: its folder %s cannot be written (%v): SQLite keeps its write-ahead log there; make it writable%s", e.Path, e.Dir, e.Err, alt)
	}
	return fmt.Sprintf("database %s cannot be written (%v): make it writable (file permissions, a read-only mount)%s", e.Path, e.Err, alt)
}

func (e *NotWritableError) Unwrap() error { return e.Err }
