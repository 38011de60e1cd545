package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/atomicfile"
	"github.com/salvoembed/salvo/postgres"
)

const exportHelp = `Usage: salvo export [--db PATH|URL] [--collection NAME] --format jsonl|csv|npy|parquet --out PATH [--fields a,b]

Writes a collection's vectors with their IDs and kept fields (see embed --keep):
  jsonl    {"id":…,"vector":[…],"fields":{…}} per line
  csv      id, the fields, then one column per dimension (v0, v1, …)
  npy      a float32 [N, dims] matrix at PATH; the IDs one per line at PATH
           with .npy replaced by .ids.txt (and the fields, one JSON object
           per line, at .fields.jsonl when there are any)
  parquet  columns id, the fields (text; lists and numbers as JSON), and
           vector (a list of float32)
Every JSON written is valid whatever an ID holds (bytes that are not UTF-8
become U+FFFD). Without --collection the database's only collection is
written; 'salvo status' lists them. Each file is written next to PATH and
renamed over it at the end: a failed export leaves an earlier one intact.
PATH may not be the database itself.

Examples:
  salvo export --out movies.vectors.jsonl
  salvo export --db movies.db --collection movies --format npy --out movies.npy
  salvo export --format parquet --out movies.parquet --fields title,year

Flags:
`

// exportWriter writes one format; rows come in ID order.
type exportWriter interface {
	row(id string, v []float32, fields map[string]json.RawMessage) error
	close() error
}

func runExport(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("export", exportHelp, stdio)
	db := fs.String("db", "salvo.db", dbFlagHelp)
	coll := fs.String("collection", "", "collection `NAME` (default: the only one)")
	format := fs.String("format", "jsonl", "output format: jsonl, csv, npy or parquet")
	out := fs.String("out", "-", "output `PATH` (- for standard output: jsonl and csv only)")
	fields := fs.StringSlice("fields", nil, "kept `FIELD`s to write besides id and vector (default: every kept field; text: the embedded text)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *format {
	case "jsonl", "csv":
	case "npy", "parquet":
		if *out == "-" || *out == "" {
			return usageError("--format %s needs --out PATH (a file: its header is written last)", *format)
		}
	default:
		return usageError("--format %q: choose jsonl, csv, npy or parquet", *format)
	}
	st, err := openExisting(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	name, err := pickCollection(ctx, st, st.Path(), *coll)
	if err != nil {
		return err
	}
	var info *salvo.Collection
	colls, err := st.Collections(ctx)
	if err != nil {
		return err
	}
	for i := range colls {
		if colls[i].Name == name {
			info = &colls[i]
		}
	}
	if info == nil {
		return fmt.Errorf("collection %q: no such collection in %s: salvo status lists them", name, st.Path())
	}
	cols := *fields
	if len(cols) == 0 && info.Keep != "" && info.Keep != "*" {
		cols = strings.Split(info.Keep, ",")
	}
	if len(cols) == 0 && info.Keep == "*" {
		if cols, err = allKept(ctx, st, name); err != nil {
			return err
		}
	}

	if *out != "-" {
		if err := refuseDBAsOut(*db, *format, *out); err != nil {
			return err
		}
	}
	var w io.Writer = stdio.Out
	var file *atomicfile.File
	if *out != "-" {
		// The rows go to a new file next to --out, renamed over it at the
		// end: a failed export leaves an earlier one as it was.
		if file, err = atomicfile.Create(*out); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer file.Cleanup()
		w = file
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var ew exportWriter
	switch *format {
	case "jsonl":
		ew = &jsonlWriter{w: bw, cols: cols}
	case "csv":
		ew = newCSVWriter(bw, cols, info.Dims)
	case "npy":
		var nw *npyWriter
		nw, err = newNPYWriter(file, bw, *out, cols, info.Dims)
		if nw != nil {
			defer nw.cleanup()
			ew = nw
		}
	case "parquet":
		ew, err = newParquetWriter(bw, cols)
	}
	if err != nil {
		return err
	}
	if err := eachRow(ctx, st, name, cols, ew.row); err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	if err := ew.close(); err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if file != nil {
		return file.Commit()
	}
	return nil
}

// refuseDBAsOut is an error when an output of the export (--out, and for
// npy the .ids.txt and .fields.jsonl next to it) is the SQLite database
// or one of its journal files: writing it would destroy the vectors being
// read.
func refuseDBAsOut(db, format, out string) error {
	if postgres.IsURL(db) {
		return nil
	}
	outs := []string{out}
	if format == "npy" {
		outs = append(outs, sidePath(out, ".ids.txt"), sidePath(out, ".fields.jsonl"))
	}
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

// exportChunk is how many rows get their kept fields in one query.
const exportChunk = 512

// eachRow calls fn for every item in ID order with its vector and the
// fields named in cols ("text" being the embedded text unless a kept
// field has that name). Fields come from the store in chunks, one query
// each.
func eachRow(ctx context.Context, st salvo.Store, coll string, cols []string, fn func(string, []float32, map[string]json.RawMessage) error) error {
	dr, _ := st.(salvo.DocReader)
	if len(cols) == 0 || dr == nil {
		return st.Each(ctx, coll, func(id string, v []float32) error { return fn(id, v, nil) })
	}
	ids := make([]string, 0, exportChunk)
	vecs := make([][]float32, 0, exportChunk)
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
			if err := fn(ids[i], vecs[i], m); err != nil {
				return err
			}
		}
		ids, vecs = ids[:0], vecs[:0]
		return nil
	}
	err := st.Each(ctx, coll, func(id string, v []float32) error {
		ids, vecs = append(ids, id), append(vecs, v)
		if len(ids) == exportChunk {
			return flush()
		}
		return nil
	})
	if err == nil && len(ids) > 0 {
		err = flush()
	}
	return err
}

// allKept is every field name kept in the collection (embed --keep '*'),
// sorted, from the records' kept fields.
func allKept(ctx context.Context, st salvo.Store, coll string) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	err := eachRow(ctx, st, coll, []string{"*"}, func(_ string, _ []float32, m map[string]json.RawMessage) error {
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
