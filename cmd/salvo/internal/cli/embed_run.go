package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/cmd/salvo/internal/metrics"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/source"
	"github.com/spf13/pflag"
)

func runEmbed(ctx context.Context, args []string, stdio Stdio) int {
	f := embedFlags{args: append([]string{"embed"}, args...)}
	fs := newFlagSet("embed", embedHelp, stdio)
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		fmt.Fprintf(stdio.Err, "salvo embed: %v\nRun 'salvo embed --help' for the flags.\n", err)
		return ExitFatal
	}
	if f.watch != 0 || fs.Changed("watch") || fs.Changed("changed-since") || fs.Changed("full-every") {
		return runWatch(ctx, &f, fs, stdio)
	}
	rep, err := embed(ctx, &f, fs, stdio)
	if rep != nil && !f.quiet {
		printReport(stdio.Err, rep, errors.Is(err, engine.ErrInterrupted))
	}
	if rep != nil && f.jsonOut {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(stdio.Out, string(b))
	}
	if err == nil && rep != nil && rep.Failed > 0 {
		err = errPartial
	}
	return exitCode(err, stdio)
}

// embed runs salvo embed: it makes the plan, then runs it (or, with
// --plan, shows it). A mistake found while making the plan returns a nil
// report and leaves no database behind.
func embed(ctx context.Context, f *embedFlags, fs *pflag.FlagSet, stdio Stdio) (*embedReport, error) {
	p, done, err := newEmbedPlan(ctx, f, fs.Changed, fs.Args(), stdio, pollInput{})
	if err != nil {
		return nil, err
	}
	defer done()
	if err := refuseAlias(ctx, p.store.db, p.store.collection); err != nil {
		return nil, err
	}
	if p.output.preview {
		return nil, preview(ctx, p, stdio)
	}
	return runPlan(ctx, p, stdio)
}

// embedReport is the summary of `salvo embed`: the engine's figures and
// where things went.
type embedReport struct {
	engine.Report
	Collection string `json:"collection"`
	Model      string `json:"model"`
	DB         string `json:"db"`
	Failures   string `json:"failures_file,omitempty"`
	Hosts      int    `json:"hosts"`
	Endpoint   string `json:"endpoint"` // the API used: /api/embed, /v1/embeddings, /api/embeddings
	Changes
	// Reasons groups the failed records by reason, the most frequent first.
	Reasons []*failureGroup `json:"failure_reasons,omitempty"`
	// WriteBack is set with --write-back.
	WriteBack *writeBackReport `json:"write_back,omitempty"`
	// Jobs is set with --distributed.
	Jobs *jobsReport `json:"jobs,omitempty"`
	// SkippedFiles is set with --files: the files that matched and are no
	// documents.
	SkippedFiles   *int `json:"skipped_files,omitempty"`
	skippedExample string
	// Poll is the number of the poll of --watch, from 1.
	Poll int `json:"poll,omitempty"`
}

// recordReader is a file's reader or a query's rows.
type recordReader interface {
	Next() (*salvo.Record, error)
	Close() error
}

// runPlan embeds the plan's records into its collection: it connects to
// the servers, opens the store and the collection, runs the engine, prunes
// with --prune, and records the run in the ledger.
func runPlan(ctx context.Context, p *embedPlan, stdio Stdio) (*embedReport, error) {
	s, err := openSession(ctx, p, stdio)
	if err != nil {
		return nil, err
	}
	defer s.close()
	return s.run(ctx, p, stdio)
}

// session is what the runs of one salvo embed share (--watch makes one
// run per poll): the servers, the metrics endpoint, the store and the
// claim on the collection.
type session struct {
	hosts    []engine.Host
	key      salvo.KeySpec
	model    serverInfo
	endpoint string
	metrics  *metrics.Set // nil without --metrics-addr
	st       store
	queue    *cluster.Queue // --distributed: the jobs' queue, when opened
	closers  closers
}

// openSession connects to the plan's servers and store, and claims its
// collection.
func openSession(ctx context.Context, p *embedPlan, stdio Stdio) (_ *session, err error) {
	s := &session{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	// Before any request: an answer that cannot be stored is wasted.
	if err := p.store.db.checkWritable(); err != nil {
		return nil, err
	}
	if s.hosts, s.key, s.model, s.endpoint, err = connect(ctx, p.server, stdio); err != nil {
		return nil, err
	}
	set, stopMetrics, err := serveMetrics(p.output.metricsAddr, stdio, p.output.quiet)
	if err != nil {
		return nil, err
	}
	s.closers.add(stopMetrics)
	s.metrics = set
	instrument(set, s.hosts)
	if s.st, err = p.store.db.open(ctx); err != nil {
		return nil, err
	}
	st := s.st
	s.closers.add(func() { st.Close() })
	queue, release, err := claimCollection(ctx, st, p.store.dbTimeout, p.input.dist, p.store.collection)
	if err != nil {
		return nil, err
	}
	s.queue = queue
	s.closers.add(release)
	return s, nil
}

// close releases the collection, closes the store and ends the metrics
// endpoint.
func (s *session) close() { s.closers.close() }

// run runs the plan in the session.
func (s *session) run(ctx context.Context, p *embedPlan, stdio Stdio) (*embedReport, error) {
	st, hosts, key, model, endpoint := s.st, s.hosts, s.key, s.model, s.endpoint
	coll, before, err := openCollection(ctx, st, p, key, endpoint)
	if err != nil {
		return nil, err
	}
	reembed := p.store.reembed
	if before.Count > 0 && before.Keep != coll.Keep {
		reembed = true // other fields to keep: store every record again, from the cache, without requests
	}

	var target salvo.Store = st
	var report func(*embedReport)
	if p.input.writeBack != nil {
		if target, report, err = p.input.writeBack(coll, st); err != nil {
			return nil, err
		}
	}

	counters := new(engine.Counters)
	counters.Total.Store(-1)
	go p.input.count(counters)
	if s.metrics != nil {
		s.metrics.Counters(counters)
	}

	failures := &engine.FailureFile{Path: p.store.failures, Collection: coll.Name}
	tally := &failureTally{next: failures}
	cfg := engine.Config{
		Hosts:         hosts,
		Store:         target,
		Collection:    coll.Name,
		Key:           key,
		Dims:          coll.Dims,
		BatchSize:     p.speed.batchSize,
		Retries:       p.speed.retries,
		Timeout:       p.speed.timeout,
		Rate:          p.speed.rate,
		Limit:         p.input.limit,
		Force:         p.store.force,
		Reembed:       reembed,
		ContextTokens: model.ctxTokens,
		ModelDims:     cmp.Or(p.server.dimensions, model.dims), // --dimensions cuts the model's vectors
		HostTimeout:   p.speed.hostTimeout,
		Failures:      tally,
		Counters:      counters,
		OnDuplicate:   p.input.onDuplicate,
		Chunk:         p.text.chunk,
		ChunkOverlap:  p.text.chunkOverlap,
	}
	recs := p.input.records
	var seen *seenIDs
	if p.prune.on {
		seen = new(seenIDs)
		recs = seen.wrap(recs)
	}
	stopProgress := startProgress(stdio, p.output.quiet || p.output.watch, counters)
	started := time.Now()
	var rep *engine.Report
	var runErr error
	var jobs *jobsReport
	if p.input.dist != nil {
		rep, jobs, runErr = p.input.dist.run(ctx, s.queue, cfg)
	} else {
		rep, runErr = engine.Run(ctx, cfg, recs)
	}
	stopProgress()
	if cerr := failures.Close(); cerr != nil && runErr == nil {
		runErr = cerr
	}
	out := &embedReport{Report: *rep, Collection: coll.Name, Model: p.server.model, DB: st.Path(), Hosts: len(hosts), Endpoint: endpoint, Jobs: jobs}
	out.changes(st, before.Count)
	if seen != nil && runErr == nil {
		out.Deleted, runErr = prune(ctx, p.prune.max, st, coll.Name, seen)
	}
	if ix, ok := st.(salvo.Indexer); ok && runErr == nil {
		// After the prune, which changes the collection: pgvector's HNSW
		// index, SQLite's vector file.
		runErr = ix.Index(ctx, coll.Name)
	}
	if p.input.skipped != nil {
		sk := p.input.skipped()
		out.SkippedFiles, out.skippedExample = &sk.Count, sk.Example
	}
	if rep.Failed > 0 {
		out.Failures = p.store.failures
		out.Reasons = tally.list()
	}
	if report != nil {
		report(out)
	}
	// A poll of --watch that changed nothing is not a run worth a line of
	// the ledger (nor would its speed estimate the next one).
	idle := p.output.watch && out.Added+out.Updated+out.Deleted+out.Failed == 0
	if !idle {
		if err := recordRun(st, out, started, p.args); err != nil && runErr == nil {
			runErr = err
		}
	}
	return out, runErr
}

// openCollection opens (or creates) the plan's collection with what the
// run embeds it with, and returns it and what it was before.
func openCollection(ctx context.Context, st salvo.Store, p *embedPlan, key salvo.KeySpec, endpoint string) (coll, before *salvo.Collection, err error) {
	name, model, template := p.store.collection, p.server.model, p.text.renderer.Describe()
	before, err = st.OpenCollection(ctx, salvo.Collection{Name: name, Model: model, Template: template})
	if err != nil {
		return nil, nil, err
	}
	coll, err = st.OpenCollection(ctx, salvo.Collection{Name: name, Model: model, Template: template,
		Prefix: p.text.prefix, Endpoint: endpoint, Dimensions: p.server.dimensions, Digest: key.Digest,
		Keep: keepDescription(p.text.kept.names, p.text.kept.all)})
	if err != nil {
		return nil, nil, err
	}
	if d := p.server.dimensions; d > 0 && coll.Dims > 0 && coll.Dims != d {
		return nil, nil, usageError("collection %q holds %d-dimensional vectors; --dimensions %d would mix sizes: use --collection to start another collection", coll.Name, coll.Dims, d)
	}
	return coll, before, nil
}

// textFlag names the flag that says what the texts are made of: --fields
// when it is given.
func textFlag(fields []string) string {
	if len(fields) > 0 {
		return "--fields"
	}
	return "--text"
}

// collectionName is a file's name without folder and extension.
func collectionName(file string) string {
	if file == "-" {
		return "stdin"
	}
	base := filepath.Base(file)
	for ext := filepath.Ext(base); ext != ""; ext = filepath.Ext(base) {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// countTotal estimates the number of records for the progress display.
func countTotal(files []string, opts source.Options, limit int, c *engine.Counters) {
	var total int64
	for _, name := range files {
		n, err := source.Count(name, opts)
		if err != nil || n < 0 {
			return
		}
		total += int64(n)
	}
	if limit > 0 && total > int64(limit) {
		total = int64(limit)
	}
	c.Total.Store(total)
}
