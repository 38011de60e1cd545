package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/spf13/pflag"
)

const embedHelp = `Usage: salvo embed [flags] FILE...

Reads records from FILEs (.jsonl/.ndjson, .json, .csv, .tsv, or - for standard
input with --format), renders one text per record, embeds the texts through
Ollama and stores the vectors in a SQLite database. Records already stored
with the same text and model are skipped, so a second run only does what the
first did not finish; identical texts share one request.

Examples:
  salvo embed examples/movies.jsonl --fields title,year,genres,summary
  salvo embed movies.csv --text '{{.Title}} ({{index . "Release Date"}})' --id imdb_id
  salvo embed dump.json --records data.movies --host gpu1:11434,gpu2:11434
  cat movies.jsonl | salvo embed - --format jsonl --collection movies

Exit codes: 0 all stored; 1 fatal (flags, server, model, database);
2 finished but some records failed (see --failures); 130 interrupted.

Flags:
`

type embedFlags struct {
	hosts       hostList
	model       string
	api         string
	concurrency autoInt
	batchSize   autoInt
	text        string
	fields      []string
	prefix      string
	idField     string
	records     string
	format      string
	db          string
	collection  string
	limit       int
	skip        bool
	force       bool
	retries     int
	timeout     time.Duration
	hostTimeout time.Duration
	rate        float64
	failures    string
	jsonOut     bool
	quiet       bool
	dimensions  int
	keepAlive   string
	truncate    bool
	pull        bool
}

func (f *embedFlags) register(fs *pflag.FlagSet) {
	f.registerServer(fs)
	fs.Var(&f.concurrency, "concurrency", "requests in flight per host, or auto: adapt to the server (aliases: --concurrent, --workers) (default auto)")
	fs.Var(&f.batchSize, "batch-size", "texts per request, or auto: aim at ~2 s requests (--api embeddings sends one) (default auto)")
	f.registerInput(fs)
	fs.StringVar(&f.db, "db", "salvo.db", "SQLite database `PATH`")
	fs.StringVar(&f.collection, "collection", "", "collection `NAME` (default: the first file's name without extension)")
	fs.IntVar(&f.limit, "limit", 0, "stop after `N` records (0: all)")
	fs.BoolVar(&f.skip, "skip-existing", true, "skip records whose text and model are already stored")
	fs.BoolVar(&f.force, "force", false, "re-embed everything, ignoring stored vectors and the cache")
	fs.IntVar(&f.retries, "retries", engine.DefaultRetries, "resends of a failed request (exponential backoff, full jitter)")
	fs.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "per-request timeout")
	fs.DurationVar(&f.hostTimeout, "host-timeout", engine.DefaultHostTimeout, "stop when every server has failed (answering errors, or not at all) for this long")
	fs.Float64Var(&f.rate, "rate", 0, "at most `R` texts per second over all hosts (0: unlimited)")
	fs.StringVar(&f.failures, "failures", "", "failures file `PATH` (default: <db without extension>.failures.jsonl)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the final summary as one JSON object on stdout")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress, no report (errors only)")
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
}

// registerInput adds the flags that say how to read records and build texts.
func (f *embedFlags) registerInput(fs *pflag.FlagSet) {
	fs.StringVar(&f.text, "text", "", "Go `TEMPLATE` for the text, e.g. '{{.title}} ({{.year}}): {{.summary}}'; keys with spaces: {{index . \"Major Genre\"}}")
	fs.StringSliceVar(&f.fields, "fields", nil, "embed these fields as \"a: <a>\\nb: <b>\" (default: the field \"text\")")
	fs.StringVar(&f.prefix, "prefix", "", "`STRING` prepended to every text, e.g. \"search_document: \"")
	fs.StringVar(&f.idField, "id", "id", "`FIELD` holding the record ID; records without it get FILE:LINE")
	fs.StringVar(&f.records, "records", "", "for .json: dotted `PATH` to the array of records, e.g. data.movies")
	fs.StringVar(&f.format, "format", "", "input format: jsonl, json, csv or tsv (default: by extension; required for -)")
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
		fmt.Fprint(io.Err, fs.FlagUsages())
	}
	return fs
}

func runEmbed(ctx context.Context, args []string, stdio Stdio) int {
	var f embedFlags
	fs := newFlagSet("embed", embedHelp, stdio)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		fmt.Fprintf(stdio.Err, "salvo embed: %v\nRun 'salvo embed --help' for the flags.\n", err)
		return ExitFatal
	}
	rep, err := embed(ctx, &f, fs.Args(), stdio)
	if rep != nil && !f.quiet {
		printReport(stdio.Err, rep)
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
}

func embed(ctx context.Context, f *embedFlags, files []string, stdio Stdio) (*embedReport, error) {
	if len(files) == 0 {
		return nil, usageError("no input files: give one or more FILEs (or - for standard input with --format)\nRun 'salvo embed --help' for the flags.")
	}
	if f.force && !f.skip {
		f.skip = true // --force already re-embeds everything
	}
	renderer, err := render.New(render.Options{Template: f.text, Fields: f.fields, Prefix: f.prefix})
	if err != nil {
		return nil, err
	}
	srcOpts := source.Options{Format: f.format, RecordsPath: f.records, IDField: f.idField, Stdin: stdio.In}
	if names, all := renderer.Fields(); !all {
		srcOpts.Fields = names // decode only what the texts are made of
	}
	for _, name := range files {
		if name == "-" {
			if f.format == "" {
				return nil, usageError("reading standard input needs --format jsonl|json|csv|tsv")
			}
			continue
		}
		if _, err := os.Stat(name); err != nil {
			return nil, fmt.Errorf("input file: %w", err)
		}
	}
	if len(f.hosts) == 0 {
		f.hosts = defaultHosts()
	}
	if f.collection == "" {
		f.collection = collectionName(files[0])
	}
	if f.failures == "" {
		f.failures = strings.TrimSuffix(f.db, filepath.Ext(f.db)) + ".failures.jsonl"
	}

	hosts, key, model, endpoint, err := connect(ctx, f, stdio)
	if err != nil {
		return nil, err
	}

	st, err := sqlite.Open(f.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	coll, err := st.OpenCollection(ctx, salvo.Collection{Name: f.collection, Model: f.model, Template: renderer.Describe()})
	if err != nil {
		return nil, err
	}
	if f.dimensions > 0 && coll.Dims > 0 && coll.Dims != f.dimensions {
		return nil, usageError("collection %q holds %d-dimensional vectors; --dimensions %d would mix sizes: use --collection to start another collection", coll.Name, coll.Dims, f.dimensions)
	}

	counters := new(engine.Counters)
	counters.Total.Store(-1)
	go countTotal(files, srcOpts, f.limit, counters)

	failures := &engine.FailureFile{Path: f.failures}
	cfg := engine.Config{
		Hosts:         hosts,
		Store:         st,
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
		ModelDims:     cmp.Or(f.dimensions, model.dims), // --dimensions cuts the model's vectors
		HostTimeout:   f.hostTimeout,
		Failures:      failures,
		Counters:      counters,
	}
	if f.retries == 0 {
		cfg.Retries = -1
	}
	if f.api == "embeddings" {
		cfg.BatchSize = 1
	}
	stopProgress := startProgress(stdio, f.quiet, counters)
	started := time.Now()
	var inputErr error
	rep, runErr := engine.Run(ctx, cfg, inputs(files, srcOpts, renderer, &inputErr))
	if inputErr != nil && runErr == nil {
		runErr = inputErr
	}
	stopProgress()
	if cerr := failures.Close(); cerr != nil && runErr == nil {
		runErr = cerr
	}
	out := &embedReport{Report: *rep, Collection: coll.Name, Model: f.model, DB: f.db, Hosts: len(hosts), Endpoint: endpoint}
	if rep.Failed > 0 {
		out.Failures = f.failures
	}
	recordRun(st, out, started)
	return out, runErr
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

// inputs reads every file in turn and renders each record's text. When the
// very first record has no "text" field and no template or fields were
// given, it stops and sets *fatal: every record would fail the same way.
func inputs(files []string, opts source.Options, rd *render.Renderer, fatal *error) iter.Seq[engine.Input] {
	return func(yield func(engine.Input) bool) {
		first := true
		for _, name := range files {
			r, err := source.Open(name, opts)
			if err != nil {
				if !yield(engine.Input{Where: name, Err: err}) {
					return
				}
				continue
			}
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				var in engine.Input
				var le *source.LineError
				switch {
				case errors.As(err, &le):
					in = engine.Input{Where: salvo.Where(le.File, le.Line), Err: err}
				case err != nil:
					in = engine.Input{Where: name, Err: err}
				default:
					in = engine.Input{ID: rec.ID, Where: rec.Where()}
					in.Text, in.Err = rd.Render(rec)
					if first && errors.Is(in.Err, render.ErrNoTextField) {
						*fatal = in.Err
						r.Close()
						return
					}
					first = false
				}
				if !yield(in) {
					r.Close()
					return
				}
				if err != nil && le == nil {
					break // an error that is not about one line ends this file
				}
			}
			r.Close()
		}
	}
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

func recordRun(st *sqlite.Store, rep *embedReport, started time.Time) {
	stats, _ := json.Marshal(rep)
	_ = st.RecordRun(context.Background(), sqlite.Run{
		Collection: rep.Collection, Model: rep.Model, Started: started, Finished: time.Now(),
		Stats: stats, Args: os.Args,
	})
}

func printReport(w io.Writer, r *embedReport) {
	fmt.Fprintf(w, "salvo: %d read, %d embedded, %d cached, %d failed", r.Read, r.Embedded, r.Cached, r.Failed)
	if r.Truncated > 0 {
		fmt.Fprintf(w, ", %d truncated", r.Truncated)
	}
	fmt.Fprintf(w, " in %.1fs (%.1f emb/s)\n", r.Seconds, r.PerSecond)
	fmt.Fprintf(w, "       %d requests, %d retries, %d splits; latency p50 %.0fms p95 %.0fms", r.Requests, r.Retries, r.Splits, r.P50, r.P95)
	if r.LoadSecs > 0.05 {
		fmt.Fprintf(w, "; model load %.1fs (a cold start, not slowness)", r.LoadSecs)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "       collection %q in %s (model %s, %s)\n", r.Collection, r.DB, r.Model, r.Endpoint)
	if r.Failed > 0 {
		fmt.Fprintf(w, "       failed records are listed in %s; run the same command again to retry them\n", r.Failures)
	}
	if r.Truncated > 0 {
		fmt.Fprintf(w, "       truncated texts were cut to the model's context; --truncate=false makes them fail instead\n")
	}
}
