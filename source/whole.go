package source

import (
	"errors"
	"fmt"
	"strings"
)

// InputError is a mistake about a whole input, found by [Open] before any
// record is read: a JSON file that holds an object without a records path, a
// records path that leads nowhere, an empty .json file, a broken CSV header,
// a records path on a file that is not JSON. No record of the input can be
// read, so a caller should stop rather than report one failure per record.
// The message names the file and what is wrong with it; Err may be one of
// the typed errors below, which hold the facts a caller can act on.
type InputError struct {
	File string // file name as given
	Err  error  // the explanation; may wrap a *salvo.RecordError for the header line
}

func (e *InputError) Error() string { return e.Err.Error() }

func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err is about a whole input.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// FormatOf returns the format a file is read as: format when given
// ("ndjson" is "jsonl"), else the one its extension names, else "" (the
// content tells when the file is opened: see [Reader.Format]).
func FormatOf(name, format string) (string, error) { return formatOf(name, format) }

// NoRecordsPathError is a JSON file that holds an object, opened without a
// records path ([Options.RecordsPath]): its records, if any, are in one of
// the object's arrays. It comes out of [Open] inside an *[InputError].
type NoRecordsPathError struct {
	File string // file name as given
	// Arrays holds the dotted paths of the arrays inside the object (a few
	// levels deep), in the order of the file: each could be the records
	// path. Empty when the object holds no array.
	Arrays []string
}

func (e *NoRecordsPathError) Error() string {
	if len(e.Arrays) == 0 {
		return fmt.Sprintf("%s: the file holds one JSON object with no array of records inside; salvo needs an array of objects (or a .jsonl file with one object per line)", e.File)
	}
	return fmt.Sprintf("%s: the file holds a JSON object, not an array of records (arrays in the file: %s)", e.File, strings.Join(e.Arrays, ", "))
}

// PathOnArrayError is a records path ([Options.RecordsPath]) given for a
// JSON file that is itself an array of records: there is no object for the
// path to lead through, and the file is read without one. It comes out of
// [Open] inside an *[InputError].
type PathOnArrayError struct {
	File string // file name as given
	Path string // the records path given
}

func (e *PathOnArrayError) Error() string {
	return fmt.Sprintf("%s: the file is an array, so it has no records path %q", e.File, e.Path)
}

// NotJSONLError is a line of a JSONL file that looks like a piece of one
// JSON document rather than a record of its own: a line that holds an
// array (the file may be one JSON array of records) or an object that goes
// on over the next lines (the file may be pretty-printed JSON). Such a file
// is read as JSON ([FormatJSON]). It comes inside a *[salvo.RecordError].
type NotJSONLError struct {
	// Array is true for a line that holds a JSON array, false for a line
	// that ends inside a value.
	Array bool
}

func (e *NotJSONLError) Error() string {
	if e.Array {
		return "expected a JSON object, got an array"
	}
	return "invalid JSON: the line ends inside a value (JSONL needs each object on one line)"
}
