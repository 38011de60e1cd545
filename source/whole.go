package source

import "errors"

// InputError is a mistake about a whole input, found by [Open] before any
// record is read: a JSON file that holds an object without --records, a
// records path that leads nowhere, an empty .json file, a broken CSV header,
// a records path on a file that is not JSON. No record of the input can be
// read, so a caller should stop rather than report one failure per record.
// The message names the file and says what to do.
type InputError struct {
	File string // file name as given
	Err  error  // the explanation; may wrap a *LineError for the header line
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
