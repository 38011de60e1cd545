package cli

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/salvoembed/salvo/internal/jsonstr"
)

const exportHelp = `Usage: salvo export [--db PATH|URL] [--collection NAME] [--format jsonl] [--out FILE]

Writes a collection's vectors, one {"id":…,"vector":[…]} per line, in the
order of the record IDs. 'salvo status' lists the collections.

Examples:
  salvo export --out movies.vectors.jsonl
  salvo export --db movies.db --collection movies | head -n 1

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
	colls, err := st.Collections(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(colls))
	for i, c := range colls {
		names[i] = c.Name
	}
	switch {
	case len(colls) == 0:
		return fmt.Errorf("%s has no collections yet: run salvo embed first", *db)
	case *coll == "" && len(colls) > 1:
		return usageError("%s holds %d collections (%s): choose one with --collection", st.Path(), len(colls), strings.Join(names, ", "))
	case *coll == "":
		*coll = colls[0].Name
	case !slices.Contains(names, *coll):
		return usageError("%s has no collection %q; its collections: %s (choose one with --collection)", *db, *coll, strings.Join(names, ", "))
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
		buf = appendRecord(buf[:0], id, v)
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

// appendRecord appends one line of the export: {"id":…,"vector":[…]}. It
// is valid JSON whatever the ID holds (bytes that are not UTF-8 become
// U+FFFD, as encoding/json writes them) and whatever the vector holds (NaN
// and infinities, which a valid store never holds, become null).
func appendRecord(buf []byte, id string, v []float32) []byte {
	buf = append(buf, `{"id":`...)
	buf = jsonstr.AppendString(buf, id)
	buf = append(buf, `,"vector":[`...)
	for i, x := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			buf = append(buf, "null"...)
			continue
		}
		buf = strconv.AppendFloat(buf, float64(x), 'g', -1, 32)
	}
	return append(buf, "]}\n"...)
}
