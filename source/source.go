// Package source reads catalogs of records from JSONL, JSON, CSV and TSV
// files (or standard input) and turns each entry into a [salvo.Record] that
// knows the file and line it came from, so that every later error can point
// at it.
//
// Start with [Open] and call [Reader.Next] until it returns io.EOF:
//
//	r, err := source.Open("movies.jsonl", source.Options{IDField: "imdb_code"})
//	if err != nil { ... }
//	defer r.Close()
//	for {
//		rec, err := r.Next()
//		if err == io.EOF { break }
//		var le *salvo.RecordError
//		if errors.As(err, &le) { report(le); continue } // a bad record: skip it
//		if err != nil { return err }                  // the file itself failed
//		use(rec)
//	}
//
// A program that uses a few fields of large records names them in
// [Options.Fields] (salvo embed passes those its template reads): the other
// values are checked but not decoded, which makes reading several times
// faster.
//
// Readers stream: memory stays flat whatever the size of the file. A bad
// record (broken JSON, a row with the wrong number of fields, a stray quote)
// is reported as a *[salvo.RecordError] and reading goes on with the next record.
//
// Formats, chosen by [Options.Format], else by the file extension, else
// (standard input, a pipe such as <(zcat movies.jsonl.gz), a name without a
// known extension) by the content: a first line that holds a whole JSON
// object is JSONL, other data that starts with '{' or '[' is JSON, and
// anything else is the header row of CSV, or of TSV when it holds more tabs
// than commas. Compressed data is looked at after decompression.
//
//   - jsonl (.jsonl, .ndjson): one JSON object per line; blank lines are skipped.
//   - json (.json): an array of objects, at the top level or inside an object
//     at [Options.RecordsPath] (e.g. "data.movies" for a YTS API answer).
//   - csv (.csv): RFC 4180 with a header row. Header names are trimmed of
//     surrounding spaces; an empty name becomes "column_N" and a repeated
//     name gets a suffix ("name", "name_2", "name_3").
//   - tsv (.tsv): a header row and tab-separated fields without quoting (as
//     in the IMDb datasets): quotes are ordinary characters, and a field that
//     is exactly \N (their null marker) reads as the empty string. Header
//     names follow the CSV rules.
//
// A UTF-8 byte order mark at the start of a file and CRLF line ends are
// accepted in every format.
//
// Compressed files are read directly: a name ending in .gz (gzip) or .zst
// (zstd) is decompressed, and its format comes from the name before the
// suffix ("movies.jsonl.gz" is JSONL). Data that starts with gzip's or
// zstd's magic number is decompressed whatever its name, so standard input
// may be compressed too. Line numbers count lines of the decompressed text;
// a truncated or corrupt file is a *[salvo.RecordError] at the line where the data
// broke off, after the records before it.
//
// Documents are records too: [OpenFiles] reads one record per Markdown,
// text or HTML file that glob patterns ("notes/**/*.md") match, with the
// fields path, title and text, through the same [Reader].
package source

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/salvoembed/salvo"
)

// Format names accepted by [Options.Format].
const (
	FormatJSONL = "jsonl"
	FormatJSON  = "json"
	FormatCSV   = "csv"
	FormatTSV   = "tsv"
)

// DefaultIDField is the field whose value becomes [salvo.Record.ID] when
// [Options.IDField] is empty.
const DefaultIDField = "id"

// Stdin is the file name that means standard input.
const Stdin = "-"

// Options says how to read a file. The zero value reads by file extension
// and takes IDs from the "id" field.
type Options struct {
	// Format is "jsonl", "json", "csv" or "tsv" ("ndjson" is taken as
	// "jsonl"); empty means by file extension, else by content.
	Format string
	// RecordsPath is, for JSON, the dotted path of the array of records
	// inside a top-level object, e.g. "data.movies". Empty means the top
	// level is the array.
	RecordsPath string
	// IDField names the field that holds a record's ID (default "id"). A
	// record without it, or with a null or empty value, gets "<file>:<line>".
	IDField string
	// Stdin is read for the file name "-" (default os.Stdin).
	Stdin io.Reader
	// Fields, when not nil, names the only fields a record needs, besides
	// IDField; nil keeps every field. The other fields stay in
	// [salvo.Record.Fields] with a nil value, so that the record's field
	// names are all there. JSON and JSONL readers do not decode those
	// values, which makes reading a few fields of large records several
	// times faster, but still check them: a broken record is a *[salvo.RecordError]
	// whichever part of it is broken.
	Fields []string
}

// format is one file format's record decoder. next returns the fields and
// starting line of the next record, a *salvo.RecordError for a bad record, io.EOF at
// the end, or another error when the input itself fails.
type format interface {
	next() (fields map[string]any, line int, err error)
}

// Reader yields the records of one file or, opened by [OpenFiles], one
// record per document file. It is not safe for concurrent use.
type Reader struct {
	name    string
	form    string // FormatJSONL, FormatJSON, FormatCSV or FormatTSV
	idField string
	f       format
	closer  io.Closer
	dec     *decompressed // nil for plain text
	err     error         // sticky error once the input failed
	proj    *projector    // nil: every field is decoded
	raw     RawRecord     // what NextRaw returns, reused
}

// Open opens name ("-" for standard input) and prepares to read its records.
// For CSV and TSV it reads the header; for JSON it finds the array of
// records, so a file that cannot hold records fails here, with an
// *[InputError].
func Open(name string, opts Options) (*Reader, error) {
	form, err := formatOf(name, opts.Format)
	if err != nil {
		return nil, err
	}
	rd, closer, err := openInput(name, opts)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(rd, 64<<10)
	dec, err := decompress(name, br)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	if dec != nil {
		br = bufio.NewReaderSize(dec, 64<<10)
		closer = multiCloser{dec, closer}
	}
	skipBOM(br)
	if form == "" {
		form, br, err = sniff(name, br, opts.RecordsPath)
		if err != nil {
			if closer != nil {
				closer.Close()
			}
			if berr := dec.broken(name); berr != nil {
				err = berr
			}
			return nil, &InputError{File: name, Err: err}
		}
	}
	id := opts.IDField
	if id == "" {
		id = DefaultIDField
	}
	proj := newProjector(opts.Fields, id)
	var f format
	switch form {
	case FormatJSONL:
		f = newJSONL(name, br, proj)
	case FormatJSON:
		f, err = newJSON(name, br, opts.RecordsPath, proj)
	case FormatCSV:
		f, err = newCSV(name, br, proj)
	case FormatTSV:
		f, err = newTSV(name, br, proj)
	}
	if err == nil && opts.RecordsPath != "" && form != FormatJSON {
		err = fmt.Errorf("%s: a records path (%q) applies only to JSON files, and this one is read as %s", name, opts.RecordsPath, form)
	}
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		var le *salvo.RecordError
		if berr := dec.broken(name); berr != nil && !errors.As(err, &le) {
			err = berr
		}
		return nil, &InputError{File: name, Err: err}
	}
	return &Reader{name: name, form: form, idField: id, f: f, closer: closer, dec: dec, proj: proj}, nil
}

// multiCloser closes a decoder, then the file under it.
type multiCloser struct {
	dec *decompressed
	c   io.Closer // nil for standard input
}

func (m multiCloser) Close() error {
	m.dec.close()
	if m.c == nil {
		return nil
	}
	return m.c.Close()
}

// Next returns the next record, io.EOF after the last one, or a *[salvo.RecordError]
// for a bad record (call Next again to go on). Any other error means the
// input failed and no more records will come.
func (r *Reader) Next() (*salvo.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	if rf, ok := r.f.(recordFormat); ok {
		rec, err := rf.nextRecord()
		var le *salvo.RecordError
		if err != nil && !errors.As(err, &le) {
			r.err = err
		}
		return rec, err
	}
	fields, line, err := r.f.next()
	if err != nil {
		return nil, r.failed(err)
	}
	return &salvo.Record{ID: r.id(fields, line), Source: r.name, Line: line, Fields: fields}, nil
}

// failed returns the error for a failure of the format's reader, and
// remembers one that ends the input.
func (r *Reader) failed(err error) error {
	var le *salvo.RecordError
	if !errors.As(err, &le) {
		r.err = err
		if berr := r.dec.broken(r.name); berr != nil {
			// The compressed data broke off: say where, and end the
			// file there. The records before it were returned.
			r.err = io.EOF
			return berr
		}
	}
	return err
}

func (r *Reader) id(fields map[string]any, line int) string {
	return r.idOf(fields[r.idField], line)
}

// idOf is the ID of a record whose ID field holds v.
func (r *Reader) idOf(v any, line int) string {
	switch v := v.(type) {
	case nil:
	case string:
		if v != "" {
			return v
		}
	case json.Number:
		return string(v)
	default:
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return salvo.Where(r.name, line)
}

// Format is the format the input is read as: the one [Options.Format] or
// the file's extension names, else the one its content shows;
// [FormatFiles] for a reader from [OpenFiles].
func (r *Reader) Format() string { return r.form }

// Close closes the file. Standard input is left open.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// formatOf picks the format from an explicit name or the file extension.
// It returns "" when neither says it (standard input, a pipe such as
// /dev/fd/63, a name without a known extension): the content tells.
func formatOf(name, explicit string) (string, error) {
	if explicit != "" {
		switch f := strings.ToLower(explicit); f {
		case FormatJSONL, FormatJSON, FormatCSV, FormatTSV:
			return f, nil
		case "ndjson":
			return FormatJSONL, nil
		}
		return "", fmt.Errorf("unknown format %q: use jsonl, json, csv or tsv", explicit)
	}
	if name == Stdin {
		return "", nil
	}
	switch ext := strings.ToLower(filepath.Ext(stripCompression(name))); ext {
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".json":
		return FormatJSON, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv":
		return FormatTSV, nil
	}
	return "", nil
}

func openInput(name string, opts Options) (io.Reader, io.Closer, error) {
	if name == Stdin {
		if opts.Stdin != nil {
			return opts.Stdin, nil, nil
		}
		return os.Stdin, nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, f, nil
}

// skipBOM drops a UTF-8 byte order mark, which spreadsheet programs put at
// the start of CSV exports.
func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
}
