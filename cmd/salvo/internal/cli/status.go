package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/search"
)

const statusHelp = `Usage: salvo status [--db PATH|URL] [--runs N] [--json]

Lists the collections of a database (model, dimensions and record count),
its aliases (salvo alias), the cached vectors no record refers to (what
salvo gc would free),
says where vectors are kept (with PostgreSQL: whether pgvector is used),
names the collections whose vector file (SQLite: what a search maps
instead of reading the database) is not current, and shows its last runs of salvo embed (figures and command line). With
PostgreSQL it also shows the jobs of salvo embed --distributed by
collection: done, running, waiting and failed. The counts are
what is stored, so they include every record an interrupted run committed.

Examples:
  salvo status
  salvo status --db movies.db --json
  salvo status --db postgres://localhost/movies --runs 20

Flags:
`

func runStatus(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("status", statusHelp, stdio)
	var db dbTarget
	dbFlag(fs, &db)
	jsonOut := fs.Bool("json", false, "print {\"collections\":[…],\"aliases\":[…],\"unreferenced\":{\"rows\":N,\"bytes\":N},\"store\":S,\"runs\":[…],\"jobs\":[…],\"words_due\":N} as JSON (jobs: PostgreSQL with --distributed runs; words_due: SQLite, records the next search by words indexes first)")
	nRuns := fs.Int("runs", 5, "show the last `N` runs (0: none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := db.openReadOnly(ctx)
	var none *salvo.NoSchemaError
	if errors.As(err, &none) {
		// A schema nothing was embedded into, or a file a salvo embed is
		// creating right now: no collections, and nothing created.
		return statusEmpty(stdio, none.Where, *jsonOut)
	}
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
	var garbage *salvo.Garbage // what salvo gc would free
	if c, ok := st.(salvo.Collector); ok {
		g, err := c.Garbage(ctx)
		if err != nil {
			return err
		}
		garbage = &g
	}
	aliases := []salvo.Alias{}
	if a, ok := st.(salvo.Aliaser); ok {
		if list, err := a.Aliases(ctx); err != nil {
			return err
		} else if list != nil {
			aliases = list
		}
	}
	runs := []salvo.RunRecord{}
	if *nRuns > 0 {
		if runs, err = st.Runs(ctx, "", *nRuns); err != nil {
			return err
		}
		runs = append([]salvo.RunRecord{}, runs...) // [] rather than null in JSON
	}
	// SQLite: whether each collection's vector file is current.
	var fileCurrent []*bool
	if vf, ok := st.(vectorFiler); ok {
		fileCurrent = make([]*bool, len(colls))
		for i, c := range colls {
			ok, err := vf.VectorFileRecorded(ctx, c.Name)
			if err != nil {
				return err
			}
			fileCurrent[i] = &ok
		}
	}
	// SQLite: the records the next search by words indexes first.
	var wordsDue *int
	if wi, ok := st.(salvo.WordsIndexer); ok {
		n, err := wi.WordsDue(ctx)
		if err != nil {
			return err
		}
		wordsDue = &n
	}
	var jobs []cluster.Counts // salvo embed --distributed: River's jobs
	if db.isPostgres() {
		if jobs, err = cluster.Status(ctx, db.String()); err != nil {
			return err
		}
	}
	if *jsonOut {
		type collection struct {
			salvo.Collection
			Prefixes search.PrefixPair `json:"prefixes"` // the document prefix and the query prefix that goes with it
			// SQLite only: whether searches map the vector file.
			VectorFileCurrent *bool `json:"vector_file_current,omitempty"`
		}
		cs := make([]collection, len(colls))
		for i, c := range colls {
			cs[i] = collection{Collection: c, Prefixes: search.PrefixesOf(c)}
			if fileCurrent != nil {
				cs[i].VectorFileCurrent = fileCurrent[i]
			}
		}
		return json.NewEncoder(stdio.Out).Encode(struct {
			Collections []collection      `json:"collections"`
			Aliases     []salvo.Alias     `json:"aliases"`
			Garbage     *salvo.Garbage    `json:"unreferenced,omitempty"`
			Store       string            `json:"store"`
			Runs        []salvo.RunRecord `json:"runs"`
			Jobs        []cluster.Counts  `json:"jobs,omitempty"`
			WordsDue    *int              `json:"words_due,omitempty"` // SQLite: records not yet in the words index
		}{cs, aliases, garbage, st.Describe(), runs, jobs, wordsDue})
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
	if err := tw.Flush(); err != nil {
		return err
	}
	if line := aliasNote(aliases); line != "" {
		fmt.Fprintln(stdio.Out, line)
	}
	if garbage != nil {
		if line := garbageLine(*garbage); line != "" {
			fmt.Fprintln(stdio.Out, line)
		}
	}
	for _, c := range colls {
		if line := prefixLine(c); line != "" {
			fmt.Fprintln(stdio.Out, line)
		}
	}
	for i, c := range colls {
		if fileCurrent != nil && !*fileCurrent[i] && c.Count > 0 {
			fmt.Fprintf(stdio.Out, "%s: its vector file is not current, so searches read the vectors from the database (slower to start); the next salvo embed of it writes the file\n", c.Name)
		}
	}
	if wordsDue != nil && *wordsDue >= wordsNote { // fewer are indexed in no time
		fmt.Fprintf(stdio.Out, "words index: %d records stored since the last search by words; the next one (--mode text or hybrid) indexes them first\n", *wordsDue)
	}
	if len(jobs) > 0 {
		fmt.Fprintln(stdio.Out)
		fmt.Fprintln(tw, "JOBS (--distributed)\tQUEUE\tDONE\tRUNNING\tWAITING\tFAILED")
		for _, j := range jobs {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", j.Collection, j.Queue, j.Done, j.Running, j.Waiting, j.Failed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(runs) == 0 {
		return nil
	}
	fmt.Fprintln(stdio.Out)
	return printRuns(stdio.Out, runs)
}

// vectorFiler is a store that keeps a vector file per collection beside
// the database (SQLite).
type vectorFiler interface {
	VectorFileRecorded(ctx context.Context, collection string) (bool, error)
}

// prefixLine says which prefixes a collection's documents and queries get,
// for a model whose card gives any ("" for the others): the query prefix is
// the pair of the document prefix the collection was embedded with.
func prefixLine(c salvo.Collection) string {
	doc, query := search.Prefixes(c.Model)
	if doc == "" && query == "" {
		return ""
	}
	p := search.PrefixesOf(c)
	line := fmt.Sprintf("%s: documents embedded with %s, so queries get %s", c.Name, quoteOrNone(p.Document), quoteOrNone(p.Query))
	if p.Query == "" && query != "" {
		line += fmt.Sprintf(" (%s's card pairs %s with %s: embed with --prefix %q to use them)", c.Model, quoteOrNone(doc), quoteOrNone(query), doc)
	}
	return line
}

func quoteOrNone(s string) string {
	if s == "" {
		return "no prefix"
	}
	return fmt.Sprintf("%q", s)
}

// statusEmpty is status of a store that holds no salvo tables yet.
func statusEmpty(stdio Stdio, where string, jsonOut bool) error {
	const store = "none yet (no salvo tables)"
	if jsonOut {
		return json.NewEncoder(stdio.Out).Encode(struct {
			Collections []salvo.Collection `json:"collections"`
			Aliases     []salvo.Alias      `json:"aliases"`
			Store       string             `json:"store"`
			Runs        []salvo.RunRecord  `json:"runs"`
		}{[]salvo.Collection{}, []salvo.Alias{}, store, []salvo.RunRecord{}})
	}
	fmt.Fprintf(stdio.Out, "store: %s\n%s has no collections yet: run salvo embed\n", store, where)
	return nil
}
