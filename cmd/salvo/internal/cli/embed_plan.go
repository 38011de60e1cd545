package cli

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"os"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/dbcatalog"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
)

// embedPlan is one run of salvo embed, settled before it starts: built in
// one place (newEmbedPlan) from the parsed flags, the inputs and a sample
// of their records, then only read. Each step of the run takes the parts
// it reads.
type embedPlan struct {
	args   []string // as salvo embed received them, for the run ledger
	input  inputPlan
	text   textPlan
	server serverPlan
	speed  speedPlan
	store  storePlan
	prune  prunePlan
	output outputPlan
}

// inputPlan is where the records come from and how they are read.
type inputPlan struct {
	records     iter.Seq[engine.Input]     // the records, rendered
	count       func(*engine.Counters)     // estimates their number for the progress display
	writeBack   writeBackHook              // --write-back: stands in front of the store
	dist        *distPlan                  // --distributed: the jobs
	limit       int                        // --limit (0: all)
	onDuplicate engine.DuplicatePolicy     // --on-duplicate
	skipped     func() source.SkippedFiles // --files: the files that are no documents, once read
	// since is where the rows read start (--changed-since; zero: every
	// row), mark the highest value of the column when they were read.
	since, mark dbcatalog.Mark
}

// textPlan is what is embedded for each record, and what is kept with it.
type textPlan struct {
	renderer *render.Renderer
	prefix   string // --prefix
	kept     keeper // --keep, resolved against the template
	// chunk is --chunk (engine.ChunkAuto, 0: off, or tokens; off with
	// --write-back), chunkOverlap --chunk-overlap.
	chunk, chunkOverlap int
}

// serverPlan is where the vectors come from: what connect reads. salvo
// search, serve and bench make their own.
type serverPlan struct {
	hosts       []string // --host, else the default ones
	model       string   // --model, canonical ("name", not "name:latest")
	api         string
	dimensions  int
	keepAlive   string
	truncate    bool
	pull        bool
	apiKeyEnv   string
	numThread   int
	concurrency int  // requests in flight per host (0: adapt)
	quiet       bool // no warnings, no pull progress
}

// speedPlan is how the engine sends the requests.
type speedPlan struct {
	batchSize   int // 0: adapt
	retries     int
	timeout     time.Duration
	hostTimeout time.Duration
	rate        float64
}

// storePlan is where the vectors go.
type storePlan struct {
	db         dbTarget
	dbTimeout  time.Duration
	collection string // --collection, else named after the input
	failures   string // the failures file
	force      bool   // --force: re-embed everything
	reembed    bool   // --skip-existing=false: store every record again
}

// prunePlan is --prune.
type prunePlan struct {
	on  bool
	max pruneLimit
}

// outputPlan is what salvo embed prints besides the vectors.
type outputPlan struct {
	json        bool
	quiet       bool
	preview     bool // --plan: print what the run would do, do nothing
	watch       bool // a poll of --watch: no progress, a ledger entry only for a poll that changed something
	metricsAddr string
}

// server is the serverPlan of the flags.
func (f *embedFlags) server() serverPlan {
	s := serverPlan{hosts: f.hosts, model: salvo.CanonicalModel(f.model), api: f.api, dimensions: f.dimensions,
		keepAlive: f.keepAlive, truncate: f.truncate, pull: f.pull, apiKeyEnv: f.apiKeyEnv, numThread: f.numThread,
		concurrency: int(f.concurrency), quiet: f.quiet}
	if len(s.hosts) == 0 {
		s.hosts = defaultHosts()
	}
	return s
}

// closers are what a plan holds open (its inputs), closed last first.
type closers []func()

func (c *closers) add(f func()) { *c = append(*c, f) }

func (c closers) close() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// newEmbedPlan builds the plan of salvo embed from its flags (changed
// says which were given) and FILE arguments; in says what a poll of
// --watch reads (the zero value: everything). Everything that can be
// checked before the first request is checked here, before anything is
// created: the flags, the inputs and a sample of their records. The
// caller calls done once the run is over: it closes the inputs.
func newEmbedPlan(ctx context.Context, f *embedFlags, changed func(string) bool, files []string, stdio Stdio, in pollInput) (p *embedPlan, done func(), err error) {
	server := f.server()
	if _, err := apiOf(server); err != nil {
		return nil, nil, err
	}
	onDup, ok := engine.ParseDuplicatePolicy(f.onDuplicate)
	if !ok {
		return nil, nil, usageError("--on-duplicate %q: choose fail, first or last", f.onDuplicate)
	}
	if err := checkPlan(f); err != nil {
		return nil, nil, err
	}
	if err := checkPrune(f, changed); err != nil {
		return nil, nil, err
	}
	p = &embedPlan{
		args:   f.args,
		input:  inputPlan{limit: f.limit, onDuplicate: onDup, since: in.since},
		text:   textPlan{prefix: f.prefix, chunk: int(f.chunk), chunkOverlap: f.chunkOverlap},
		server: server,
		speed: speedPlan{batchSize: int(f.batchSize), retries: f.retries, timeout: f.timeout,
			hostTimeout: f.hostTimeout, rate: f.rate},
		store: storePlan{db: f.db, dbTimeout: f.dbTimeout, collection: f.collection,
			failures: cmp.Or(f.failures, f.db.failuresPath()), force: f.force,
			reembed: !f.skip && !f.force}, // --force already re-embeds everything
		// A poll that reads only the changed rows cannot tell what is gone.
		prune:  prunePlan{on: f.prune && in.since.IsZero(), max: f.pruneMax},
		output: outputPlan{json: f.jsonOut, quiet: f.quiet, preview: f.plan, watch: f.watch > 0, metricsAddr: f.metricsAddr},
	}
	if f.api == "embeddings" {
		p.speed.batchSize = 1 // /api/embeddings takes one text
	}
	var open closers
	switch {
	case f.files:
		err = p.readDocuments(ctx, f, changed, files, stdio, &open)
	case f.sourceDB != "" || f.sql != "" || f.writeBack != "":
		err = p.readDB(ctx, f, files, &open)
	default:
		err = p.readFiles(ctx, f, changed, files, stdio, &open)
	}
	if err != nil {
		open.close()
		return nil, nil, err
	}
	if p.output.watch {
		p.input.count = func(*engine.Counters) {} // no progress display: no count to make
	}
	return p, open.close, nil
}

// readFiles sets the plan's input and text for the records of files (or
// standard input).
func (p *embedPlan) readFiles(ctx context.Context, f *embedFlags, changed func(string) bool, files []string, stdio Stdio, open *closers) error {
	files, implicit, err := inputFiles(files, stdio)
	if err != nil {
		return err
	}
	if implicit && !f.quiet {
		fmt.Fprintln(stdio.Err, "salvo: no FILE given: reading records from standard input")
	}
	renderer, err := newRenderer(f)
	if err != nil {
		return err
	}
	srcOpts := source.Options{Format: f.format, RecordsPath: f.records, IDField: f.idField, Stdin: stdio.In}
	kept := keepOf(f, renderer)
	if names, all := renderer.Fields(); !all && !kept.all {
		srcOpts.Fields = append(names, kept.names...) // decode only what the texts are made of and what is kept
	}
	for _, name := range files {
		if name == source.Stdin {
			continue
		}
		if _, err := os.Stat(name); err != nil {
			return missingInput(name, err)
		}
	}
	ins, smp, err := openInputs(ctx, files, srcOpts, renderer)
	if err != nil {
		return err
	}
	open.add(func() { closeInputs(ins) })
	if implicit && len(ins[0].head) == 0 && ins[0].whole {
		return errNoInput
	}
	if err := checkSample(smp, renderer, srcOpts, f, changed("id"), stdio); err != nil {
		return err
	}
	if p.store.collection == "" {
		p.store.collection = collectionName(files[0])
	}
	p.text.renderer, p.text.kept = renderer, kept
	limit := p.input.limit
	p.input.count = func(c *engine.Counters) { countTotal(files, srcOpts, limit, c) }
	if f.distributed {
		if p.input.dist, err = planDistributed(f, p, files, srcOpts); err != nil {
			return err
		}
		p.input.count = func(*engine.Counters) {} // this process does a part of the input: unknown
	}
	p.input.records = records(ins, srcOpts, renderer, kept)
	return nil
}

// checkSample checks the records sampled from the inputs (see
// sample.check; idGiven: --id was given) and prints its warnings.
func checkSample(smp *sample, rd *render.Renderer, opts source.Options, f *embedFlags, idGiven bool, stdio Stdio) error {
	warnings, err := smp.check(rd, opts, textFlag(f.fields), idGiven, f.allowConst)
	if err != nil {
		return err
	}
	if !f.quiet {
		for _, w := range warnings {
			fmt.Fprintln(stdio.Err, "salvo: warning:", w)
		}
	}
	return nil
}

// keepOf is what --keep keeps, resolved against the template.
func keepOf(f *embedFlags, rd *render.Renderer) keeper {
	var k keeper
	k.names, k.all = keepFields(f.keep, f.fields, f.text, rd)
	return k
}

// newRenderer makes the renderer of the texts.
func newRenderer(f *embedFlags) (*render.Renderer, error) {
	rd, err := render.New(render.Options{Template: f.text, Fields: f.fields, Prefix: f.prefix})
	if err == nil && !f.allowConst {
		err = constantError(rd.ConstantText())
	}
	return rd, err
}
