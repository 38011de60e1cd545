package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/export"
)

const exportHelp = `Usage: salvo export [--db PATH|URL] [--collection NAME] --format jsonl|csv|npy|parquet|ids --out PATH [--fields a,b]

Writes a collection's vectors with their IDs and kept fields (see embed --keep):
  jsonl    {"id":…,"vector":[…],"fields":{…}} per line
  csv      id, the fields, then one column per dimension (v0, v1, …)
  npy      a float32 [N, dims] matrix at PATH; the IDs one per line at PATH
           with .npy replaced by .ids.txt (and the fields, one JSON object
           per line, at .fields.jsonl when there are any)
  parquet  columns id, the fields (text; lists and numbers as JSON), and
           vector (a list of float32)
  ids      the IDs only, one per line (no vectors): what similar takes
Every JSON written is valid whatever an ID holds (bytes that are not UTF-8
become U+FFFD). Without --collection the database's only collection is
written; 'salvo status' lists them. Each file is written next to PATH and
renamed over it at the end: a failed export leaves an earlier one intact.
PATH may not be the database itself.

Examples:
  salvo export --out movies.vectors.jsonl
  salvo export --db movies.db --collection movies --format npy --out movies.npy
  salvo export --format parquet --out movies.parquet --fields title,year
  salvo export --collection movies --format ids

Flags:
`

func runExport(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("export", exportHelp, stdio)
	var db dbTarget
	dbFlag(fs, &db)
	coll := fs.String("collection", "", "collection `NAME` (default: the only one)")
	format := fs.String("format", "jsonl", "output format: "+strings.Join(export.Formats, ", "))
	out := fs.String("out", "-", "output `PATH` (- for standard output: jsonl, csv and ids only)")
	fields := fs.StringSlice("fields", nil, "kept `FIELD`s to write besides id and vector (default: every kept field; text: the embedded text)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	toStdout := *out == "-" || *out == ""
	switch {
	case !export.Known(*format):
		return usageError("--format %q: choose %s", *format, strings.Join(export.Formats, ", "))
	case toStdout && !export.Streamable(*format):
		return usageError("--format %s needs --out PATH (a file: its header is written last)", *format)
	}
	st, err := db.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	name, err := pickCollection(ctx, st, st.Path(), *coll)
	if err != nil {
		return err
	}
	opt := export.Options{Collection: name, Fields: *fields}
	if toStdout {
		bw := bufio.NewWriterSize(stdio.Out, 1<<16)
		if err := export.To(ctx, st, *format, bw, opt); err != nil {
			return exportErr(err, st.Path())
		}
		return bw.Flush()
	}
	if err := refuseDBAsOut(db, *format, *out); err != nil {
		return err
	}
	if err := export.ToFile(ctx, st, *format, *out, opt); err != nil {
		return exportErr(err, st.Path())
	}
	return nil
}

// exportErr adds to the export package's errors what to do.
func exportErr(err error, db string) error {
	var fe *export.FieldError
	switch {
	case errors.As(err, &fe):
		return fmt.Errorf("%w: choose others with --fields", err)
	case errors.Is(err, salvo.ErrNoCollection):
		return fmt.Errorf("%w in %s: salvo status lists them", err, db)
	}
	return err
}

// refuseDBAsOut is an error when an output of the export (--out, and for
// npy the .ids.txt and .fields.jsonl next to it) is the SQLite database
// or one of its journal files: writing it would destroy the vectors being
// read.
func refuseDBAsOut(target dbTarget, format, out string) error {
	db := target.sqlitePath()
	if db == "" {
		return nil
	}
	outs := export.Files(format, out)
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		dfi, err := os.Stat(db + suffix)
		if err != nil {
			continue
		}
		for _, o := range outs {
			if ofi, err := os.Stat(o); err == nil && os.SameFile(dfi, ofi) {
				return usageError("--out %s would overwrite the database %s that is being exported: write the export to another file", out, db+suffix)
			}
		}
	}
	return nil
}
