package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/metrics"
	"github.com/salvoembed/salvo/dbcatalog"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/source"
	"github.com/spf13/pflag"
)

// defaultFullEvery is --full-every: with --changed-since, every 10th poll
// reads every row, which finds the deleted ones.
const defaultFullEvery = 10

// pollInput is what one run reads of its input: every record (the zero
// value: a run without --watch, or a full poll), or, with --changed-since,
// the rows past the mark of the last poll.
type pollInput struct {
	since dbcatalog.Mark
}

// checkWatch refuses the flags that --watch cannot honour, and the flags
// of --watch without it.
func checkWatch(f *embedFlags, changed func(string) bool, files []string) error {
	switch {
	case f.watch < 0:
		return usageError("--watch %s: give how long to wait between polls, e.g. 30s", f.watch)
	case f.watch == 0 && changed("watch"):
		return usageError("--watch 0: give how long to wait between polls, e.g. 30s (or drop --watch for one run)")
	case f.watch == 0 && f.changedSince != "":
		return usageError("--changed-since reads the rows changed since the last poll of --watch: add --watch 30s (one run reads every row)")
	case f.watch == 0 && changed("full-every"):
		return usageError("--full-every counts the polls of --watch --changed-since: add them, or drop --full-every")
	case f.watch == 0:
		return nil
	case changed("full-every") && f.changedSince == "":
		return usageError("--full-every without --changed-since: without it every poll reads every row already; add --changed-since COLUMN")
	case f.fullEvery < 1:
		return usageError("--full-every %d: give a number of polls, 1 or more (1: every poll reads every row)", f.fullEvery)
	case f.changedSince != "" && f.sourceDB == "":
		return usageError("--changed-since COLUMN reads the rows of --source-db whose COLUMN grew; with files, --watch reads a file again when its size or modification time changes")
	case f.plan:
		return usageError("--watch and --plan: --plan shows one run and stops; drop --watch to see it")
	case f.limit > 0:
		return usageError("--watch with --limit: each poll would stop after %d records and never reach the others; drop --limit", f.limit)
	case f.distributed:
		return usageError("--watch with --distributed is not supported: run one salvo embed --watch, and --distributed for the first, large run")
	case f.sourceDB == "" && (len(files) == 0 || slices.Contains(files, source.Stdin)):
		return usageError("--watch reads its input again at each poll, and standard input can be read once: give FILEs, or --source-db and --sql")
	}
	return nil
}

// fileStamp is what tells that a file changed: its size and modification
// time.
type fileStamp struct {
	size  int64
	mtime time.Time
}

// watcher is salvo embed --watch: a poll every interval until the context
// ends. Each poll is a run of its own plan (the input read again), on the
// servers and store the first poll connected to.
type watcher struct {
	f       *embedFlags
	changed func(string) bool
	files   []string
	stdio   Stdio

	sess  *session
	polls int                  // polls done
	since dbcatalog.Mark       // --changed-since: where the next incremental poll starts
	stamp map[string]fileStamp // files: as the last poll that read them found them
	again bool                 // the last poll must be read again: it failed records, or did not end
}

// runWatch runs salvo embed --watch. A mistake that stops the first poll
// before it runs (flags, inputs, servers, store) stops salvo with exit 1,
// as it would stop one run; after that, a poll that fails is reported and
// the next poll tries again. SIGINT and SIGTERM stop it: exit 130.
func runWatch(ctx context.Context, f *embedFlags, fs *pflag.FlagSet, stdio Stdio) int {
	w := &watcher{f: f, changed: fs.Changed, files: fs.Args(), stdio: stdio}
	defer w.close()
	if err := checkWatch(f, fs.Changed, w.files); err != nil {
		return exitCode(err, stdio)
	}
	// The first poll is the run salvo embed makes without --watch: what
	// stops it stops salvo. Failed records are retried at the next poll.
	if _, err := w.poll(ctx); err != nil {
		return exitCode(err, stdio)
	}
	timer := time.NewTimer(f.watch)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return exitCode(engine.ErrInterrupted, stdio)
		case <-timer.C:
		}
		if _, err := w.poll(ctx); errors.Is(err, engine.ErrInterrupted) || ctx.Err() != nil {
			return exitCode(engine.ErrInterrupted, stdio)
		}
		timer.Reset(f.watch)
	}
}

// close ends the session.
func (w *watcher) close() {
	if w.sess != nil {
		w.sess.close()
	}
}

// full reports whether poll n (from 1) reads every row.
func (w *watcher) full(n int) bool {
	return w.f.changedSince == "" || w.since.IsZero() || (n-1)%w.f.fullEvery == 0
}

// poll reads the input again and embeds what is new or changed (with
// --prune, on a full poll, deletes what is gone), and says so in one line.
// It returns the poll's report (nil when it read nothing).
func (w *watcher) poll(ctx context.Context) (*embedReport, error) {
	w.polls++
	n := w.polls
	started := time.Now()
	// Documents (--files) are read at every poll: a pattern names no one
	// file to watch, and a file that appears under it must be found.
	if w.f.sourceDB == "" && !w.f.files && !w.filesChanged() {
		w.measure(started, nil, nil)
		w.say(n, "no file changed", time.Since(started))
		return nil, nil
	}
	in := pollInput{}
	if !w.full(n) {
		in.since = w.since
	}
	rep, mark, err := w.run(ctx, in)
	switch {
	case err == nil && rep.Failed == 0:
		w.again = false
		if w.f.changedSince != "" {
			w.since = mark // the rows up to it are stored: the next poll starts past them
		}
	default:
		w.again = true // the next poll reads these again, and retries what failed
	}
	w.measure(started, rep, err)
	if rep != nil {
		rep.Poll = n
		if w.f.jsonOut {
			b, _ := json.Marshal(rep)
			fmt.Fprintln(w.stdio.Out, string(b))
		}
		what := "read every row"
		switch {
		case w.f.sourceDB == "":
			what = "read the files"
		case !in.since.IsZero():
			what = "read the rows changed since " + in.since.String()
		}
		line := fmt.Sprintf("%s: %d records, %d added, %d updated, %d deleted, %d unchanged, %d failed; %d embedded",
			what, rep.Read, rep.Added, rep.Updated, rep.Deleted, rep.Unchanged, rep.Failed, rep.Embedded)
		if rep.Failed > 0 {
			line += " (failures in " + rep.Failures + "; sent again at the next poll)"
		}
		w.say(n, line, time.Since(started))
	}
	if n > 1 && err != nil && !errors.Is(err, engine.ErrInterrupted) && !w.f.quiet {
		fmt.Fprintf(w.stdio.Err, "salvo: poll %d: %s; the next poll tries again\n", n, strings.TrimPrefix(advise(err.Error(), err), "salvo: "))
	}
	return rep, err
}

// run makes the poll's plan and runs it in the session, which the first
// poll opens. mark is where the rows read end (--changed-since).
func (w *watcher) run(ctx context.Context, in pollInput) (*embedReport, dbcatalog.Mark, error) {
	p, done, err := newEmbedPlan(ctx, w.f, w.changed, w.files, w.stdio, in)
	if err != nil {
		return nil, dbcatalog.Mark{}, err
	}
	defer done()
	if w.sess == nil {
		if w.sess, err = openSession(ctx, p, w.stdio); err != nil {
			return nil, dbcatalog.Mark{}, err
		}
	}
	rep, err := w.sess.run(ctx, p, w.stdio)
	return rep, p.input.mark, err
}

// filesChanged reports whether a poll must read the files: the first
// poll, a poll after one that failed, or a file whose size or modification
// time changed. It notes what it found.
func (w *watcher) filesChanged() bool {
	now := make(map[string]fileStamp, len(w.files))
	for _, name := range w.files {
		if fi, err := os.Stat(name); err == nil {
			now[name] = fileStamp{fi.Size(), fi.ModTime()}
		}
	}
	changed := w.stamp == nil || w.again || len(now) != len(w.stamp)
	for name, st := range now {
		if old, ok := w.stamp[name]; !ok || old.size != st.size || !old.mtime.Equal(st.mtime) {
			changed = true
		}
	}
	w.stamp = now
	return changed
}

// measure adds the poll to the metrics of --metrics-addr.
func (w *watcher) measure(started time.Time, rep *embedReport, err error) {
	if w.sess == nil || w.sess.metrics == nil {
		return
	}
	pm := metrics.Poll{At: time.Now(), Duration: time.Since(started), Err: err != nil}
	if rep != nil {
		pm.Added, pm.Updated, pm.Deleted, pm.Unchanged, pm.Failed = rep.Added, rep.Updated, rep.Deleted, rep.Unchanged, rep.Failed
	}
	w.sess.metrics.Poll(pm)
}

// say prints the poll's one line, unless --quiet.
func (w *watcher) say(n int, what string, took time.Duration) {
	if !w.f.quiet {
		fmt.Fprintf(w.stdio.Err, "salvo: poll %d: %s (%.3f s)\n", n, what, took.Seconds())
	}
}
