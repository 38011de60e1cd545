package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
)

const exportHelp = `Usage: salvo export [--db PATH|URL] [--collection NAME] [--format jsonl] [--out FILE]

Writes a collection's vectors, one {"id":…,"vector":[…]} per line.

Flags:
`

func runExport(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("export", exportHelp, stdio)
	db := fs.String("db", "salvo.db", dbFlagHelp)
	coll := fs.String("collection", "", "collection `NAME` (default: the only one)")
	format := fs.String("format", "jsonl", "output format: jsonl")
	out := fs.String("out", "-", "output `FILE` (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "jsonl" {
		return usageError("--format %q: only jsonl is supported", *format)
	}
	st, err := openExisting(*db)
	if err != nil {
		return err
	}
	defer st.Close()
	if *coll == "" {
		colls, err := st.Collections(ctx)
		if err != nil {
			return err
		}
		if len(colls) != 1 {
			names := make([]string, len(colls))
			for i, c := range colls {
				names[i] = c.Name
			}
			return usageError("%s holds %d collections %v: choose one with --collection", st.Path(), len(colls), names)
		}
		*coll = colls[0].Name
	}
	w := bufio.NewWriterSize(stdio.Out, 1<<16)
	var file *os.File
	if *out != "-" {
		if file, err = os.Create(*out); err != nil {
			return err
		}
		defer file.Close()
		w.Reset(file)
	}
	var buf []byte
	err = st.Each(ctx, *coll, func(id string, v []float32) error {
		buf = append(buf[:0], `{"id":`...)
		buf = strconv.AppendQuote(buf, id)
		buf = append(buf, `,"vector":[`...)
		for i, x := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, float64(x), 'g', -1, 32)
		}
		buf = append(buf, "]}\n"...)
		_, err := w.Write(buf)
		return err
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", *coll, err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if file != nil {
		return file.Close()
	}
	return nil
}
