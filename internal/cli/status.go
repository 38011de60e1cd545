package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/salvoembed/salvo"
)

const statusHelp = `Usage: salvo status [--db PATH|URL] [--json]

Lists the collections of a database: model, dimensions and record count,
and says where vectors are kept (with PostgreSQL: whether pgvector is used).

Flags:
`

func runStatus(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("status", statusHelp, stdio)
	db := fs.String("db", "salvo.db", dbFlagHelp)
	jsonOut := fs.Bool("json", false, "print {\"collections\":[…]} as JSON")
	if err := fs.Parse(args); err != nil {
		return err
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
	if colls == nil {
		colls = []salvo.Collection{}
	}
	if *jsonOut {
		return json.NewEncoder(stdio.Out).Encode(struct {
			Collections []salvo.Collection `json:"collections"`
			Store       string             `json:"store"`
		}{colls, st.Describe()})
	}
	fmt.Fprintf(stdio.Out, "store: %s\n", st.Describe())
	if len(colls) == 0 {
		fmt.Fprintf(stdio.Out, "%s has no collections yet: run salvo embed\n", st.Path())
		return nil
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLLECTION\tMODEL\tDIMS\tRECORDS")
	for _, c := range colls {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", c.Name, c.Model, c.Dims, c.Count)
	}
	return tw.Flush()
}
