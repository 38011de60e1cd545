package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
	"github.com/spf13/pflag"
)

const embedHelp = `Usage: salvo embed [flags] FILE...
       salvo embed [flags] --source-db DB --sql QUERY [--write-back TABLE.COLUMN]

Reads records from FILEs (.jsonl/.ndjson, .json, .csv, .tsv, or - for standard
input, also read when no FILE is given) or from the rows of a query (--source-db, --sql), renders
one text per record, embeds the texts through Ollama and stores the vectors in
a SQLite database (--db PATH) or in PostgreSQL (--db postgres://…). Records
already stored with the same text and model are skipped, so a second run only
does what the first did not finish; identical texts share one request. With
--write-back the vectors also go into a column of the query's table.

Examples:
  salvo embed examples/movies.jsonl --fields title,year,genres,summary
  salvo embed movies.csv --text '{{.Title}} ({{index . "Release Date"}})' --id imdb_id
  salvo embed dump.json --records data.movies --host gpu1:11434,gpu2:11434
  cat movies.jsonl | salvo embed --collection movies
  salvo embed movies.jsonl --collection movies --plan   # what a run would do: counts, texts, time; sends and writes nothing
  salvo embed movies.jsonl --collection movies --prune  # also delete the stored records the file no longer has
  salvo embed --source-db postgres://app@db/shop --sql "SELECT id, title, summary FROM movies" \
      --fields title,summary --write-back movies.embedding
  salvo embed movies.jsonl --fields title,summary --distributed --db postgres://db/catalog   # same line on each machine

Exit codes: 0 all stored; 1 fatal (flags, server, model, database);
2 finished but some records failed (see --failures); 130 interrupted.

Flags:
`

type embedFlags struct {
	hosts        hostList
	model        string
	api          string
	concurrency  autoInt
	batchSize    autoInt
	text         string
	allowConst   bool // --allow-constant-text
	fields       []string
	prefix       string
	idField      string
	records      string
	format       string
	db           dbTarget
	collection   string
	limit        int
	skip         bool
	force        bool
	retries      int
	timeout      time.Duration
	hostTimeout  time.Duration
	dbTimeout    time.Duration
	rate         float64
	failures     string
	jsonOut      bool
	quiet        bool
	dimensions   int
	keepAlive    string
	truncate     bool
	chunk        chunkFlag // --chunk: auto, off (0) or tokens
	chunkOverlap int
	pull         bool
	args         []string // as salvo embed received them, for the run ledger
	apiKeyEnv    string
	onDuplicate  string
	sourceDB     string
	sql          string
	writeBack    string
	dupPolicy    engine.DuplicatePolicy // --on-duplicate, parsed
	keep         []string
	kept         keeper // what --keep keeps, resolved against the template
	numThread    int
	metricsAddr  string
	distributed  bool
	jobSize      int
	lease        time.Duration
	dist         *distPlan // --distributed: the jobs
	plan         bool      // --plan: print what the run would do, do nothing
	prune        bool      // --prune: delete the records the input lacks
	pruneMax     pruneLimit
}

func (f *embedFlags) register(fs *pflag.FlagSet) {
	f.registerServer(fs)
	fs.Var(&f.concurrency, "concurrency", "requests in flight per host, or auto: adapt to the server (aliases: --concurrent, --workers)")
	fs.Var(&f.batchSize, "batch-size", "texts per request, or auto: aim at ~2 s requests (--api embeddings sends one)")
	f.registerInput(fs)
	f.registerChunk(fs)
	dbFlag(fs, &f.db)
	fs.StringVar(&f.collection, "collection", "", "collection `NAME` (default: the first file's name without extension)")
	fs.StringSliceVar(&f.keep, "keep", nil, "record fields (`FIELD,…`) to keep with each vector, shown by search and serve ('*': all; default: the fields the text is made of)")
	fs.IntVar(&f.limit, "limit", 0, "stop after `N` records (0: all)")
	fs.BoolVar(&f.skip, "skip-existing", true, "skip records whose text and model are already stored")
	fs.BoolVar(&f.force, "force", false, "re-embed everything, ignoring stored vectors and the cache")
	fs.IntVar(&f.retries, "retries", engine.DefaultRetries, "resends of a failed request (exponential backoff, full jitter)")
	fs.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "per-request timeout")
	fs.DurationVar(&f.hostTimeout, "host-timeout", engine.DefaultHostTimeout, "stop when every server has failed (answering errors, or not at all) for this long")
	fs.DurationVar(&f.dbTimeout, "db-timeout", 2*time.Minute, "PostgreSQL: retry a batch whose connection was lost (a restart, a failover) for this long, then stop")
	fs.Float64Var(&f.rate, "rate", 0, "at most `R` texts per second over all hosts (0: unlimited)")
	fs.StringVar(&f.failures, "failures", "", "failures file `PATH` (default: <db without extension>.failures.jsonl)")
	fs.StringVar(&f.onDuplicate, "on-duplicate", "fail", "a record whose ID an earlier record of the run has: fail (reported, exit 2), first (keep the first), last (keep the last)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the final summary as one JSON object on stdout")
	fs.BoolVar(&f.plan, "plan", false, "print what the run would do (new, changed, unchanged, gone records; the texts to send; an estimate of the time) and stop: no request, nothing written")
	fs.BoolVar(&f.prune, "prune", false, "after a run that read all of its input without a fatal error or an interrupt, delete the collection's records whose IDs the input lacks")
	f.pruneMax = pruneLimit{pct: 50, percent: true}
	fs.Var(&f.pruneMax, "prune-max", "with --prune: delete at most `N` records, or N% of the collection; more is refused and nothing is deleted")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress, no report (errors only)")
	fs.BoolVar(&f.distributed, "distributed", false, "share the run with every process that runs the same command on the same --db postgres://… (any machine): the input is split into jobs in PostgreSQL (River)")
	fs.IntVar(&f.jobSize, "job-size", cluster.DefaultJobSize, "with --distributed: records per job; a job must finish within --lease")
	fs.DurationVar(&f.lease, "lease", cluster.DefaultLease, "with --distributed: how long a job may run; the job of a process that died is given to another after it")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics while the run goes on, e.g. 127.0.0.1:9464")
}

// registerServer adds the flags that choose the server, model and endpoint.
func (f *embedFlags) registerServer(fs *pflag.FlagSet) {
	fs.Var(&f.hosts, "host", "Ollama server `URL`; repeat or comma-separate for several (default $OLLAMA_HOST, else http://127.0.0.1:11434)")
	fs.StringVar(&f.model, "model", "nomic-embed-text", "embedding model `NAME`")
	fs.StringVar(&f.api, "api", "auto", "endpoint: auto (/v1/embeddings with base64 vectors on Ollama ≥ 0.12.7, else /api/embed, else /api/embeddings), embed, embeddings, openai (/v1/embeddings)")
	fs.IntVar(&f.dimensions, "dimensions", 0, "ask the model for `N`-dimensional vectors (models that support it)")
	fs.StringVar(&f.keepAlive, "keep-alive", "", "how long Ollama keeps the model loaded after the run, e.g. 10m or -1")
	fs.BoolVar(&f.truncate, "truncate", true, "let the server cut texts longer than the model's context (reported as truncated); false: such records fail")
	fs.BoolVar(&f.pull, "pull", false, "pull the model through the server when it is missing")
	fs.StringVar(&f.apiKeyEnv, "api-key-env", "", "environment variable `NAME` holding a bearer token for /v1/embeddings (default $SALVO_API_KEY; with --api openai, $OPENAI_API_KEY)")
	fs.IntVar(&f.numThread, "num-thread", 0, "send options.num_thread `N` with every request (uses /api/embed); default: a fleet host's share of the cores (salvo fleet up), else the model's own")
}

// registerInput adds the flags that say how to read records and build texts.
func (f *embedFlags) registerInput(fs *pflag.FlagSet) {
	fs.StringVar(&f.text, "text", "", "Go `TEMPLATE` for the text, e.g. '{{.title}} ({{.year}}): {{.summary}}'; keys with spaces: {{index . \"Major Genre\"}}")
	fs.BoolVar(&f.allowConst, "allow-constant-text", false, "embed a --text template that gives every record the same text (refused otherwise: it names no field, or every sampled record got one text)")
	fs.StringSliceVar(&f.fields, "fields", nil, "embed these fields (`FIELD,…`) as \"a: <a>\\nb: <b>\" (default: the field \"text\")")
	fs.StringVar(&f.prefix, "prefix", "", "`STRING` prepended to every text, e.g. \"search_document: \"")
	fs.StringVar(&f.idField, "id", "id", "`FIELD` holding the record ID; records without it get FILE:LINE")
	fs.StringVar(&f.records, "records", "", "for .json: dotted `PATH` to the array of records, e.g. data.movies")
	fs.StringVar(&f.format, "format", "", "input format: jsonl, json, csv or tsv (default: by extension, else by content)")
	fs.StringVar(&f.sourceDB, "source-db", "", "read records from a database instead of files: postgres://… `URL`, or a SQLite file (PATH, sqlite:PATH or file:PATH)")
	fs.StringVar(&f.sql, "sql", "", "with --source-db: the `QUERY` whose rows are the records; its columns are the fields")
	fs.StringVar(&f.writeBack, "write-back", "", "with --source-db: write each vector into `TABLE.COLUMN` of that database, keyed by the --id column (created if missing)")
}

func newFlagSet(name, help string, io Stdio) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Err)
	fs.SortFlags = false
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		switch name {
		case "concurrent", "workers": // the guide's names for the same knob
			name = "concurrency"
		}
		return pflag.NormalizedName(name)
	})
	fs.Usage = func() {
		fmt.Fprint(io.Err, help)
		printFlags(io.Err, name, fs)
	}
	return fs
}

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
}

// embed runs salvo embed. Everything that can be checked before the first
// request is checked before anything is created: the flags, the inputs and
// a sample of their records, the servers and the model. A mistake there
// returns a nil report and leaves no database behind.
func embed(ctx context.Context, f *embedFlags, fs *pflag.FlagSet, stdio Stdio) (*embedReport, error) {
	files := fs.Args()
	if _, err := apiOf(f); err != nil {
		return nil, err
	}
	onDup, ok := engine.ParseDuplicatePolicy(f.onDuplicate)
	if !ok {
		return nil, usageError("--on-duplicate %q: choose fail, first or last", f.onDuplicate)
	}
	f.dupPolicy = onDup
	if err := checkPlan(f); err != nil {
		return nil, err
	}
	if err := checkPrune(f, fs.Changed); err != nil {
		return nil, err
	}
	if err := checkChunkWriteBack(f, fs.Changed); err != nil {
		return nil, err
	}
	if f.sourceDB != "" || f.sql != "" || f.writeBack != "" {
		return embedFromDB(ctx, f, files, stdio)
	}
	files, implicit, err := inputFiles(files, stdio)
	if err != nil {
		return nil, err
	}
	if implicit && !f.quiet {
		fmt.Fprintln(stdio.Err, "salvo: no FILE given: reading records from standard input")
	}
	renderer, err := newRenderer(f)
	if err != nil {
		return nil, err
	}
	srcOpts := source.Options{Format: f.format, RecordsPath: f.records, IDField: f.idField, Stdin: stdio.In}
	f.kept.names, f.kept.all = keepFields(f.keep, f.fields, f.text, renderer)
	if names, all := renderer.Fields(); !all && !f.kept.all {
		srcOpts.Fields = append(names, f.kept.names...) // decode only what the texts are made of and what is kept
	}
	for _, name := range files {
		if name == source.Stdin {
			continue
		}
		if _, err := os.Stat(name); err != nil {
			return nil, missingInput(name, err)
		}
	}
	ins, smp, err := openInputs(ctx, files, srcOpts, renderer)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	if implicit && len(ins[0].head) == 0 && ins[0].whole {
		return nil, errNoInput
	}
	warnings, err := smp.check(renderer, srcOpts, textFlag(f), fs.Changed("id"), f.allowConst)
	if err != nil {
		return nil, err
	}
	if !f.quiet {
		for _, w := range warnings {
			fmt.Fprintln(stdio.Err, "salvo: warning:", w)
		}
	}
	if f.collection == "" {
		f.collection = collectionName(files[0])
	}
	count := func(c *engine.Counters) { countTotal(files, srcOpts, f.limit, c) }
	if f.distributed {
		if f.dist, err = planDistributed(f, files, srcOpts, renderer); err != nil {
			return nil, err
		}
		count = func(*engine.Counters) {} // this process does a part of the input: unknown
	}
	return embedRecords(ctx, f, stdio, renderer, records(ins, srcOpts, renderer, f.kept), count, nil)
}

// newRenderer makes the renderer of the texts; --force implies re-embedding.
func newRenderer(f *embedFlags) (*render.Renderer, error) {
	if f.force && !f.skip {
		f.skip = true // --force already re-embeds everything
	}
	rd, err := render.New(render.Options{Template: f.text, Fields: f.fields, Prefix: f.prefix})
	if err == nil && !f.allowConst {
		err = constantError(rd.ConstantText())
	}
	return rd, err
}

// recordReader is a file's reader or a query's rows.
type recordReader interface {
	Next() (*salvo.Record, error)
	Close() error
}

// embedRecords embeds recs into the collection f names. count estimates
// their number for the progress display; writeBack, when set, stands in
// front of the store.
func embedRecords(ctx context.Context, f *embedFlags, stdio Stdio, renderer *render.Renderer, recs iter.Seq[engine.Input],
	count func(*engine.Counters), writeBack writeBackHook) (*embedReport, error) {
	if f.plan {
		return nil, planRecords(ctx, f, stdio, renderer, recs)
	}
	if len(f.hosts) == 0 {
		f.hosts = defaultHosts()
	}
	if f.failures == "" {
		f.failures = f.db.failuresPath()
	}

	// Before any request: an answer that cannot be stored is wasted.
	if err := f.db.checkWritable(); err != nil {
		return nil, err
	}
	hosts, key, model, endpoint, err := connect(ctx, f, stdio)
	if err != nil {
		return nil, err
	}
	metricsSet, stopMetrics, err := serveMetrics(f.metricsAddr, stdio, f.quiet)
	if err != nil {
		return nil, err
	}
	defer stopMetrics()

	st, err := f.db.open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	release, err := claimCollection(ctx, st, f, f.collection)
	if err != nil {
		return nil, err
	}
	defer release()
	before, err := st.OpenCollection(ctx, salvo.Collection{Name: f.collection, Model: f.model, Template: renderer.Describe()})
	if err != nil {
		return nil, err
	}
	coll, err := st.OpenCollection(ctx, salvo.Collection{Name: f.collection, Model: f.model, Template: renderer.Describe(),
		Prefix: f.prefix, Endpoint: endpoint, Dimensions: f.dimensions, Digest: key.Digest, Keep: keepDescription(f.kept.names, f.kept.all)})
	if err != nil {
		return nil, err
	}
	if before.Count > 0 && before.Keep != coll.Keep {
		f.skip = false // other fields to keep: store every record again, from the cache, without requests
	}
	if f.dimensions > 0 && coll.Dims > 0 && coll.Dims != f.dimensions {
		return nil, usageError("collection %q holds %d-dimensional vectors; --dimensions %d would mix sizes: use --collection to start another collection", coll.Name, coll.Dims, f.dimensions)
	}

	var target salvo.Store = st
	var report func(*embedReport)
	if writeBack != nil {
		if target, report, err = writeBack(coll, st); err != nil {
			return nil, err
		}
	}

	counters := new(engine.Counters)
	counters.Total.Store(-1)
	go count(counters)
	instrument(metricsSet, hosts, counters)

	failures := &engine.FailureFile{Path: f.failures, Collection: coll.Name}
	tally := &failureTally{next: failures}
	cfg := engine.Config{
		Hosts:         hosts,
		Store:         target,
		Collection:    coll.Name,
		Key:           key,
		Dims:          coll.Dims,
		BatchSize:     int(f.batchSize),
		Retries:       f.retries,
		Timeout:       f.timeout,
		Rate:          f.rate,
		Limit:         f.limit,
		Force:         f.force,
		Reembed:       !f.skip,
		ContextTokens: model.ctxTokens,
		Chunk:         int(f.chunk),
		ChunkOverlap:  f.chunkOverlap,
		ModelDims:     cmp.Or(f.dimensions, model.dims), // --dimensions cuts the model's vectors
		HostTimeout:   f.hostTimeout,
		Failures:      tally,
		Counters:      counters,
		OnDuplicate:   f.dupPolicy,
	}
	if f.api == "embeddings" {
		cfg.BatchSize = 1
	}
	var seen *seenIDs
	if f.prune {
		seen = new(seenIDs)
		recs = seen.wrap(recs)
	}
	stopProgress := startProgress(stdio, f.quiet, counters)
	started := time.Now()
	var rep *engine.Report
	var runErr error
	var jobs *jobsReport
	if f.dist != nil {
		rep, jobs, runErr = f.dist.run(ctx, f, cfg)
	} else {
		rep, runErr = engine.Run(ctx, cfg, recs)
	}
	if ix, ok := st.(salvo.Indexer); ok && runErr == nil {
		runErr = ix.Index(ctx, coll.Name) // PostgreSQL with pgvector: the collection's HNSW index
	}
	stopProgress()
	if cerr := failures.Close(); cerr != nil && runErr == nil {
		runErr = cerr
	}
	out := &embedReport{Report: *rep, Collection: coll.Name, Model: f.model, DB: st.Path(), Hosts: len(hosts), Endpoint: endpoint, Jobs: jobs}
	out.changes(st, before.Count)
	if seen != nil && runErr == nil {
		out.Deleted, runErr = prune(ctx, f, st, coll.Name, seen)
	}
	if rep.Failed > 0 {
		out.Failures = f.failures
		out.Reasons = tally.list()
	}
	if report != nil {
		report(out)
	}
	if err := recordRun(st, out, started, f.args); err != nil && runErr == nil {
		runErr = err
	}
	return out, runErr
}

// textFlag names the flag that says what the texts are made of.
func textFlag(f *embedFlags) string {
	if len(f.fields) > 0 {
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
