// Package export writes a collection's vectors, with their IDs and kept
// fields, in formats other tools read: JSON lines, CSV, numpy's .npy (with
// the IDs and fields in files beside it) and parquet.
//
// Rows come in ID order. Every JSON written is valid whatever an ID holds
// (bytes that are not UTF-8 become U+FFFD). [ToFile] writes each file to a
// temporary file in the same folder and renames it at the end, so a failed
// export leaves an earlier one as it was.
package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/atomicfile"
)

// The formats. IDs lists a collection's IDs, for whoever needs one to ask
// for similar records.
const (
	JSONL   = "jsonl"   // {"id":…,"vector":[…],"fields":{…}} per line
	CSV     = "csv"     // id, the fields, then v0, v1, … per dimension
	NPY     = "npy"     // a float32 [N, dims] matrix, IDs and fields beside it
	Parquet = "parquet" // columns id, the fields (text), vector (list of float32)
	IDs     = "ids"     // one ID per line, nothing else
)

// Formats lists every format, in the order help texts show them.
var Formats = []string{JSONL, CSV, NPY, Parquet, IDs}

// FormatError is an unknown format, or one that cannot go to a stream.
type FormatError struct {
	Format string
	Stream bool // the format is known but needs a file
}

func (e *FormatError) Error() string {
	if e.Stream {
		return fmt.Sprintf("format %s needs a file: it cannot be written to a stream", e.Format)
	}
	return fmt.Sprintf("unknown export format %q (known: %s)", e.Format, strings.Join(Formats, ", "))
}

// FieldError is a field that cannot be a column of the format.
type FieldError struct {
	Field, Format, Why string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("field %q cannot be a %s column: %s", e.Field, e.Format, e.Why)
}

// Known reports whether format is one of [Formats].
func Known(format string) bool { return slices.Contains(Formats, format) }

// Streamable reports whether format can be written to a stream by [To]:
// npy rewrites its header at the end and has files beside it, and parquet
// is read from its end, so both go to files.
func Streamable(format string) bool { return format == JSONL || format == CSV || format == IDs }

// Options says what to export.
type Options struct {
	// Collection is the collection to write; it must exist.
	Collection string
	// Fields are the kept fields written besides ID and vector; "text" is
	// the embedded text unless a kept field has that name. Nil: every
	// field the collection keeps.
	Fields []string
}

// Files returns the paths an export to path writes: path, and for npy the
// IDs (path with .npy replaced by .ids.txt) and the fields (.fields.jsonl).
// A caller can check them before [ToFile] (not the database, say).
func Files(format, path string) []string {
	if format == NPY {
		return []string{path, sidePath(path, ".ids.txt"), sidePath(path, ".fields.jsonl")}
	}
	return []string{path}
}

// To writes the collection to w in a format that [Streamable] allows.
func To(ctx context.Context, st salvo.Store, format string, w io.Writer, opt Options) error {
	if !Known(format) {
		return &FormatError{Format: format}
	}
	if !Streamable(format) {
		return &FormatError{Format: format, Stream: true}
	}
	return write(ctx, st, format, w, nil, "", opt)
}

// ToFile writes the collection to path (and, for npy, the files beside
// it) in format. Each file is written next to its path and renamed over
// it once all are complete: on error, files of an earlier export stay as
// they were, and no temporary file is left.
func ToFile(ctx context.Context, st salvo.Store, format, path string, opt Options) error {
	if !Known(format) {
		return &FormatError{Format: format}
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if err := write(ctx, st, format, f, f, path, opt); err != nil {
		return err
	}
	return f.Commit()
}

// write writes the rows to w; file and path are set for a file (npy
// needs them).
func write(ctx context.Context, st salvo.Store, format string, w io.Writer, file io.WriterAt, path string, opt Options) error {
	info, err := salvo.FindCollection(ctx, st, opt.Collection)
	if err != nil {
		return err
	}
	cols := opt.Fields
	if format == IDs {
		cols = nil
	} else if len(cols) == 0 && info.Keep != "" && info.Keep != "*" {
		cols = strings.Split(info.Keep, ",")
	}
	if len(cols) == 0 && info.Keep == "*" {
		if cols, err = KeptFields(ctx, st, info.Name); err != nil {
			return err
		}
	}
	if format != IDs {
		chunked, err := hasPieces(ctx, st, info.Name)
		if err != nil {
			return err
		}
		if chunked {
			cols = append(slices.Clip(cols), PieceColumns...)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var ew rowWriter
	switch format {
	case JSONL:
		ew = &jsonlWriter{w: bw, cols: cols}
	case CSV:
		ew = newCSVWriter(bw, cols, info.Dims)
	case NPY:
		nw, err := newNPYWriter(file, bw, path, cols, info.Dims)
		if err != nil {
			return err
		}
		defer nw.cleanup()
		ew = nw
	case Parquet:
		if ew, err = newParquetWriter(bw, cols); err != nil {
			return err
		}
	case IDs:
		ew = &idsWriter{w: bw}
	}
	if err := Rows(ctx, st, info.Name, cols, ew.row); err != nil {
		return fmt.Errorf("export %s: %w", info.Name, err)
	}
	if err := ew.close(); err != nil {
		return fmt.Errorf("export %s: %w", info.Name, err)
	}
	return bw.Flush()
}

// rowWriter writes one format; rows come in ID order.
type rowWriter interface {
	row(id string, v []float32, fields map[string]json.RawMessage) error
	close() error
}

// chunk is how many rows get their kept fields in one query.
const chunk = 512

// Rows calls fn for every item of the collection in ID order with its
// vector and the fields named in cols ("text" being the embedded text
// unless a kept field has that name; a field the record lacks is absent
// from the map). Fields come from the store's [salvo.DocReader] in chunks,
// one query each; a store without one gives none.
func Rows(ctx context.Context, st salvo.Store, coll string, cols []string, fn func(id string, v []float32, fields map[string]json.RawMessage) error) error {
	dr, _ := st.(salvo.DocReader)
	if len(cols) == 0 || dr == nil {
		return st.Each(ctx, coll, func(id string, v []float32) error { return fn(id, v, nil) })
	}
	ids := make([]string, 0, chunk)
	vecs := make([][]float32, 0, chunk)
	var ps *pieces // the pieces of long records, when the fields show them
	if slices.Contains(cols, PieceColumns[0]) {
		ps = openPieces(ctx, st, coll)
	}
	flush := func() error {
		docs, err := dr.Docs(ctx, coll, ids)
		if err != nil {
			return err
		}
		for i, d := range docs {
			var m map[string]json.RawMessage
			if len(d.Fields) > 0 {
				if err := json.Unmarshal(d.Fields, &m); err != nil {
					return fmt.Errorf("kept fields of %q: %w", d.ID, err)
				}
			}
			if _, ok := m["text"]; !ok {
				if m == nil {
					m = map[string]json.RawMessage{}
				}
				t, _ := json.Marshal(d.Text)
				m["text"] = t
			}
			if ps != nil {
				if own := ps.take(ids[i]); len(own) > 0 {
					for _, p := range own {
						if err := fn(ids[i], p.v, withPiece(m, p.c)); err != nil {
							return err
						}
					}
					continue
				}
			}
			if err := fn(ids[i], vecs[i], m); err != nil {
				return err
			}
		}
		ids, vecs = ids[:0], vecs[:0]
		return nil
	}
	err := st.Each(ctx, coll, func(id string, v []float32) error {
		ids, vecs = append(ids, id), append(vecs, v)
		if len(ids) == chunk {
			return flush()
		}
		return nil
	})
	if err == nil && len(ids) > 0 {
		err = flush()
	}
	return errors.Join(err, ps.close())
}

// KeptFields is every field name kept in the collection (embed --keep
// '*'), sorted, from the records' kept fields.
func KeptFields(ctx context.Context, st salvo.Store, coll string) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	err := Rows(ctx, st, coll, []string{"*"}, func(_ string, _ []float32, m map[string]json.RawMessage) error {
		for k := range m {
			if k != "text" && !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}
