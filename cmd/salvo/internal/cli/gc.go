package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/salvoembed/salvo"
)

const gcHelp = `Usage: salvo gc [--db PATH|URL] [--dry-run] [--json]

Removes the cached vectors that no record refers to any more: those of
records deleted (salvo embed --prune), given another text, or of a dropped
collection. It says how many it freed and their size (vectors, texts and
keys). salvo status says how much it could free.

It is safe while salvo embed runs on the same database: a vector stored
with its record is never removed (the same transaction), and a record whose
cached vector was removed after the run looked it up fails with that
reason, and the next run embeds it. A SQLite file does not shrink: SQLite
reuses the freed pages for the next vectors.

Examples:
  salvo gc --dry-run
  salvo gc --db postgres://localhost/catalog --json

Flags:
`

func runGC(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("gc", gcHelp, stdio)
	var db dbTarget
	dbFlag(fs, &db)
	dryRun := fs.Bool("dry-run", false, "say what would be freed, delete nothing")
	jsonOut := fs.Bool("json", false, `print {"rows":N,"bytes":N,"dry_run":B}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("salvo gc takes no arguments (got %q): it collects the whole database", fs.Args())
	}
	var (
		st  store
		err error
	)
	if *dryRun {
		st, err = db.openReadOnly(ctx)
	} else {
		st, err = openExisting(ctx, db)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	c, ok := st.(salvo.Collector)
	if !ok {
		return fmt.Errorf("%s cannot collect unreferenced vectors", st.Path())
	}
	var g salvo.Garbage
	if *dryRun {
		g, err = c.Garbage(ctx)
	} else {
		g, err = c.Collect(ctx)
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		return json.NewEncoder(stdio.Out).Encode(struct {
			salvo.Garbage
			DryRun bool `json:"dry_run"`
		}{g, *dryRun})
	}
	switch {
	case g.Rows == 0:
		fmt.Fprintf(stdio.Err, "salvo: every cached vector of %s is referred to by a record: nothing to free\n", st.Path())
	case *dryRun:
		fmt.Fprintf(stdio.Err, "salvo: %d cached vectors (%s) no record refers to: salvo gc would free them (nothing deleted)\n", g.Rows, byteSize(g.Bytes))
	default:
		fmt.Fprintf(stdio.Err, "salvo: freed %d cached vectors (%s) no record referred to\n", g.Rows, byteSize(g.Bytes))
	}
	return nil
}

// byteSize is n bytes for people: 512 B, 48.1 kB, 3.2 MB.
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, suffix := float64(n)/unit, "kB"
	for _, s := range []string{"MB", "GB", "TB"} {
		if f < unit {
			break
		}
		f, suffix = f/unit, s
	}
	return fmt.Sprintf("%.1f %s", f, suffix)
}

// garbageLine is what status says of the unreferenced vectors, "" for none.
func garbageLine(g salvo.Garbage) string {
	if g.Rows == 0 {
		return ""
	}
	return fmt.Sprintf("%d cached vectors (%s) are referred to by no record: salvo gc frees them", g.Rows, byteSize(g.Bytes))
}
