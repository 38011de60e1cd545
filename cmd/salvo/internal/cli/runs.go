package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/salvoembed/salvo"
)

// recordRun adds a run of salvo embed to the database's run ledger, which
// salvo status shows: its figures and the arguments it was given.
func recordRun(st store, rep *embedReport, started time.Time, args []string) error {
	stats, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	err = st.RecordRun(context.Background(), salvo.RunRecord{
		Collection: rep.Collection, Model: rep.Model, Started: started, Finished: time.Now(),
		Stats: stats, Args: args,
	})
	if err != nil {
		return fmt.Errorf("%w (the vectors are stored; only the run's entry in the ledger is missing)", err)
	}
	return nil
}

// runFigures are the figures of a ledger entry that status shows.
type runFigures struct {
	Embedded int64   `json:"embedded"`
	Cached   int64   `json:"cached"`
	Failed   int64   `json:"failed"`
	Seconds  float64 `json:"seconds"`
}

// printRuns lists runs as a table, newest first.
func printRuns(w io.Writer, runs []salvo.RunRecord) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tCOLLECTION\tEMBEDDED\tCACHED\tFAILED\tSECONDS\tCOMMAND")
	for _, r := range runs {
		var f runFigures
		_ = json.Unmarshal(r.Stats, &f) // an entry without figures shows zeros
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\tsalvo %s\n", r.Started.Local().Format("2006-01-02 15:04:05"),
			r.Collection, f.Embedded, f.Cached, f.Failed, f.Seconds, shellJoin(r.Args))
	}
	return tw.Flush()
}

// shellJoin writes args as one would type them in a POSIX shell.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,@%+") == "" {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
