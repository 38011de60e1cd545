package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/dbcatalog"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/source"
)

// distPlan is a --distributed run (files or a query): the jobs every process of the
// run makes alike, and how this process reads a job's records.
type distPlan struct {
	queue string
	jobs  []cluster.Job
	db    dbTarget        // where the queue is: --db
	opts  cluster.Options // --lease, --db-timeout
	// read gives a job's records, and what to call once they are read.
	read func(ctx context.Context, j cluster.Job) (iter.Seq[engine.Input], func(), error)
}

// jobsReport is the --distributed part of the embed summary.
type jobsReport struct {
	Queue    string  `json:"queue"`
	Schema   string  `json:"schema"`   // where River's tables are
	Total    int     `json:"total"`    // jobs the input was split into
	Inserted int     `json:"inserted"` // of those, the ones this process inserted (the others were there)
	Worked   int     `json:"worked"`   // jobs this process finished
	Attempts int     `json:"attempts"` // jobs this process started
	Lease    float64 `json:"lease_seconds"`
}

// planDistributed checks the flags of --distributed and splits the files
// into jobs: ranges of --job-size records of a file named by its digest.
// p is the plan being made: its collection and text are set.
func planDistributed(f *embedFlags, p *embedPlan, files []string, opts source.Options) (*distPlan, error) {
	if err := checkDistributed(f); err != nil {
		return nil, err
	}
	paths := map[string]string{} // file digest → the file here
	d := newDistPlan(f)
	settings := distSettings(f, p)
	rd, kept := p.text.renderer, p.text.kept
	key := distKey(settings)
	type file struct {
		name, digest string
		n            int
	}
	var fs []file
	for _, name := range files {
		if name == source.Stdin || !isRegular(name) {
			return nil, usageError("%s: --distributed needs files that every process can read whole (no standard input or pipes)", name)
		}
		digest, err := cluster.FileDigest(name)
		if err != nil {
			return nil, fmt.Errorf("input file: %w", err)
		}
		n, err := source.Count(name, opts)
		if err != nil {
			return nil, err
		}
		paths[digest] = name
		key = append(key, digest)
		fs = append(fs, file{name, digest, n})
	}
	d.queue = cluster.QueueName(key...)
	for _, fl := range fs {
		d.jobs = append(d.jobs, cluster.Split(d.queue, p.store.collection, fl.digest, fl.name, int64(fl.n), int64(f.jobSize))...)
	}
	for i := range d.jobs {
		d.jobs[i].Settings = settings
	}
	d.read = func(_ context.Context, j cluster.Job) (iter.Seq[engine.Input], func(), error) {
		path, ok := paths[j.Source]
		if !ok {
			return nil, nil, fmt.Errorf("job of %s (%s): not an input of this process", j.Name, j.Source)
		}
		items := func(yield func(item) bool) {
			(&input{name: path}).each(opts, readsRaw(opts, rd, kept), yield)
		}
		return renamed(recordRange(items, j.First, j.End, func(it item) engine.Input { return inputOf(path, it, rd, kept) }), path, j.Name), func() {}, nil
	}
	return d, nil
}

// newDistPlan is a plan without jobs yet: where their queue is.
func newDistPlan(f *embedFlags) *distPlan {
	return &distPlan{db: f.db, opts: cluster.Options{Lease: f.lease, DBTimeout: f.dbTimeout}}
}

// checkDistributed checks the flags --distributed shares with every input.
func checkDistributed(f *embedFlags) error {
	switch {
	case !f.db.isPostgres():
		return usageError("--distributed shares the work through PostgreSQL: give --db postgres://…")
	case f.limit > 0:
		return usageError("--limit cannot be shared between processes: drop it with --distributed")
	case f.jobSize <= 0:
		return usageError("--job-size %d: give a positive number of records", f.jobSize)
	case f.lease < time.Second:
		return usageError("--lease %s: give at least 1s (a job must finish within it)", f.lease)
	}
	// River's tables go in salvo's schema: a name River refuses must stop
	// the run before salvo's tables are created there.
	_, schema, err := postgres.SplitURL(f.db.String())
	if err == nil {
		err = cluster.CheckSchema(schema)
	}
	if err != nil {
		return usageError("--db %s: %v: with --distributed, name a schema of letters, digits and underscores (?schema=NAME)", postgres.Redact(f.db.String()), err)
	}
	return nil
}

// distSettings are the settings that change what a run stores, or how it
// splits its input, by flag: two processes' runs are the same run when
// these and their inputs are the same. p is the plan being made (its
// collection and text are set); extra are the --source-db settings.
func distSettings(f *embedFlags, p *embedPlan, extra ...string) map[string]string {
	m := map[string]string{
		"--collection":    p.store.collection,
		"--model":         p.server.model,
		"--text/--fields": p.text.renderer.Describe(),
		"--prefix":        p.text.prefix,
		"--id":            f.idField,
		"--keep":          keepDescription(p.text.kept.names, p.text.kept.all),
		"--dimensions":    fmt.Sprint(p.server.dimensions),
		"--api":           p.server.api,
		"--truncate":      fmt.Sprint(p.server.truncate),
		"--records":       f.records,
		"--format":        f.format,
		"--force":         fmt.Sprint(p.store.force),
		"--skip-existing": fmt.Sprint(!p.store.reembed),
		"--on-duplicate":  f.onDuplicate,
		"--job-size":      fmt.Sprint(f.jobSize),
	}
	extra = append(extra, f.chunkSettings()...)
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// distKey is the queue key of settings: every setting, by name.
func distKey(settings map[string]string) []string {
	names := slices.Sorted(maps.Keys(settings))
	key := make([]string, 0, 2*len(names))
	for _, k := range names {
		key = append(key, k, settings[k])
	}
	return key
}

// settingsError words a run refused for its settings.
func settingsError(err error) error {
	var se *cluster.SettingsError
	if !errors.As(err, &se) {
		return err
	}
	if se.Setting == "" {
		return fmt.Errorf("%w: give every process the same flags (an older salvo may be running), or fill another --collection", err)
	}
	return fmt.Errorf("%s %q differs from the run that is filling collection %q (%s %q, queue %s): their records would mix; give every process the same flags, or fill another --collection",
		se.Setting, se.Want, se.Collection, se.Setting, se.Have, se.Queue)
}

// claimCollection says that this process fills the collection, and
// refuses a run that would fill a PostgreSQL collection at the same time
// as another process and without sharing the work with it (d: the
// --distributed plan, or nil). It also makes the store retry a batch whose
// connection was lost, for --db-timeout. With d, it returns the jobs'
// queue when it opened it.
func claimCollection(ctx context.Context, st store, dbTimeout time.Duration, d *distPlan, collection string) (*cluster.Queue, func(), error) {
	pg, ok := st.(*postgres.Store)
	if !ok {
		return nil, func() {}, nil
	}
	pg.SetRetry(dbTimeout)
	release, err := pg.Claim(ctx, collection, d != nil)
	var be *postgres.BusyError
	switch {
	case errors.As(err, &be) && be.Shared:
		return nil, nil, fmt.Errorf("%w (a run without --distributed): wait for it to end, or fill another --collection", err)
	case errors.As(err, &be):
		return nil, nil, fmt.Errorf("%w: to share the work, run every process with --distributed (the same command on each); or wait for the other to end", err)
	case err != nil:
		return nil, nil, err
	}
	if d != nil && len(d.jobs) > 0 {
		// Before the collection is opened (which records how it is
		// embedded): a run with other settings changes nothing.
		q, err := cluster.Open(ctx, d.db.String(), d.opts)
		if err == nil {
			err = settingsError(q.Check(ctx, d.jobs[0]))
		}
		if err != nil {
			if q != nil {
				q.Close()
			}
			release()
			return nil, nil, err
		}
		return q, func() { q.Close(); release() }, nil
	}
	return nil, release, nil
}

// planDistributedSQL splits the rows of --sql into ranges of --job-size
// rows by their integer --id column. p is the plan being made: its
// collection and text are set.
func planDistributedSQL(ctx context.Context, f *embedFlags, p *embedPlan, db *dbcatalog.DB) (*distPlan, error) {
	if err := checkDistributed(f); err != nil {
		return nil, err
	}
	bounds, err := db.Bounds(ctx, f.sql, f.idField, f.jobSize)
	if err != nil {
		return nil, err
	}
	settings := distSettings(f, p, "--source-db", db.Where(), "--sql", f.sql, "--write-back", f.writeBack)
	d := newDistPlan(f)
	d.queue = cluster.QueueName(distKey(settings)...)
	collection, rd, kept := p.store.collection, p.text.renderer, p.text.kept
	query, idField := f.sql, f.idField
	for i, b := range bounds {
		j := cluster.Job{Queue: d.queue, Collection: collection, Source: "sql", Name: "sql", First: b, End: b, Settings: settings}
		if i+1 < len(bounds) {
			j.End = bounds[i+1]
		}
		d.jobs = append(d.jobs, j)
	}
	// Rows whose ID is NULL are in no ID range: one more job reads them,
	// each a failure with its reason.
	nulls, err := db.NullIDs(ctx, f.sql, f.idField)
	if err != nil {
		return nil, err
	}
	if nulls > 0 {
		d.jobs = append(d.jobs, cluster.Job{Queue: d.queue, Collection: collection, Source: nullSource, Name: "sql", Settings: settings})
	}
	d.read = func(ctx context.Context, j cluster.Job) (iter.Seq[engine.Input], func(), error) {
		if j.Source == nullSource {
			rows, err := db.Query(ctx, dbcatalog.NullQuery(query, idField), idField)
			if err != nil {
				return nil, nil, err
			}
			return badRows(rows), func() { rows.Close() }, nil
		}
		rows, err := db.Query(ctx, dbcatalog.RangeQuery(query, idField, j.First, j.End), idField)
		if err != nil {
			return nil, nil, err
		}
		return rowInputs(rows, rd, kept), func() { rows.Close() }, nil
	}
	return d, nil
}

// nullSource is the Source of the job of the rows whose --id is NULL.
const nullSource = "sql:null-id"

// badRows yields each row of rows that cannot be a record (a NULL ID) as a
// failure with its reason, and goes on to the next; an error of the
// query itself ends it.
func badRows(rows recordReader) iter.Seq[engine.Input] {
	return func(yield func(engine.Input) bool) {
		for {
			rec, err := rows.Next()
			var le *salvo.RecordError
			switch {
			case err == io.EOF:
				return
			case errors.As(err, &le):
				if !yield(engine.Input{Where: salvo.Where(le.File, le.Line), Err: err}) {
					return
				}
			case err != nil:
				yield(engine.Input{Where: dbcatalog.Source, Err: err})
				return
			default:
				if !yield(engine.Input{ID: rec.ID, Where: rec.Where(), Err: fmt.Errorf("a row of the NULL-ID job has ID %q", rec.ID)}) {
					return
				}
			}
		}
	}
}

// run works the plan's jobs with the other processes of the run until none
// is left. Each job is one engine run over its range; the engine returns
// once every vector of the range is committed, and only then does River
// mark the job completed. A process that dies between the two leaves a job
// that River gives to another after the lease: its records are found
// stored and skipped, so nothing is sent or written twice. q is the
// queue claimCollection opened, or nil: run opens it.
func (d *distPlan) run(ctx context.Context, q *cluster.Queue, cfg engine.Config) (*engine.Report, *jobsReport, error) {
	var err error
	if q == nil {
		if q, err = cluster.Open(ctx, d.db.String(), d.opts); err != nil {
			return &engine.Report{}, nil, err
		}
		defer q.Close()
	}
	jr := &jobsReport{Queue: d.queue, Schema: q.Schema(), Total: len(d.jobs), Lease: d.opts.Lease.Seconds()}
	if jr.Inserted, err = q.Insert(ctx, d.jobs); err != nil {
		return &engine.Report{}, jr, settingsError(err)
	}
	workCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu    sync.Mutex
		last  = &engine.Report{}
		sum   jobTotals // what the counters do not hold: per host, latency, loads
		fatal error
	)
	started := time.Now()
	prog, err := q.Work(workCtx, d.queue, func(ctx context.Context, j cluster.Job) error {
		recs, done, err := d.read(ctx, j)
		if err != nil {
			return err
		}
		rep, err := engine.Run(ctx, cfg, recs)
		done()
		mu.Lock()
		defer mu.Unlock()
		last = rep // the counters are shared: each report holds the ones before
		sum.add(rep)
		var fe *engine.FatalError
		if errors.As(err, &fe) && fatal == nil {
			fatal = err // this process cannot go on (server, store): the job goes back to the queue
			stop()
		}
		return err
	})
	jr.Worked, jr.Attempts = prog.Worked, prog.Attempts
	mu.Lock()
	defer mu.Unlock()
	rep := *last
	sum.into(&rep)
	rep.Seconds = time.Since(started).Seconds()
	rep.PerSecond = 0
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Embedded) / rep.Seconds
	}
	switch {
	case fatal != nil:
		err = fatal
	case ctx.Err() != nil:
		err = engine.ErrInterrupted
	}
	return &rep, jr, err
}

// jobTotals adds up, over the jobs of a process, the figures of the
// engine's report that each job's run starts from zero: the per-host
// figures, the model load time, and the latency quantiles (averaged over
// the jobs, weighted by their requests).
type jobTotals struct {
	hosts         []engine.HostReport
	hostWeights   []float64 // requests behind each host's quantiles
	load          float64
	p50, p95, req float64
}

func (t *jobTotals) add(r *engine.Report) {
	t.load += r.LoadSecs
	if n := float64(r.Requests) - t.req; n > 0 { // Requests is cumulative
		t.p50 = (t.p50*t.req + r.P50*n) / (t.req + n)
		t.p95 = (t.p95*t.req + r.P95*n) / (t.req + n)
		t.req += n
	}
	for i, h := range r.PerHost {
		if i == len(t.hosts) {
			t.hosts = append(t.hosts, engine.HostReport{Name: h.Name})
			t.hostWeights = append(t.hostWeights, 0)
		}
		s := &t.hosts[i]
		s.Embedded += h.Embedded
		s.Requests += h.Requests
		s.Retries += h.Retries
		s.State = h.State
		if n, w := float64(h.Requests), t.hostWeights[i]; n > 0 {
			s.P50 = (s.P50*w + h.P50*n) / (w + n)
			s.P95 = (s.P95*w + h.P95*n) / (w + n)
			t.hostWeights[i] = w + n
		}
	}
}

// into puts the totals into r, the last job's report.
func (t *jobTotals) into(r *engine.Report) {
	if t.hosts == nil {
		return
	}
	r.PerHost = t.hosts
	r.LoadSecs = t.load
	r.P50, r.P95 = t.p50, t.p95
}

// recordRange yields the results of reading seq from index first (0-based)
// to end (excluded; 0: to the end), made inputs: those before first are
// skipped without rendering.
func recordRange[T any](seq iter.Seq[T], first, end int64, conv func(T) engine.Input) iter.Seq[engine.Input] {
	return func(yield func(engine.Input) bool) {
		i := int64(-1)
		for it := range seq {
			i++
			if i < first {
				continue
			}
			if end > 0 && i >= end {
				return
			}
			if !yield(conv(it)) {
				return
			}
		}
	}
}

// renamed gives the records of a file read here as path the IDs and
// places they have under name, the file's name in the process that made
// the jobs: a record without an ID field is FILE:LINE, and must be the
// same record on every machine whatever folder the file is in.
func renamed(seq iter.Seq[engine.Input], path, name string) iter.Seq[engine.Input] {
	if path == name {
		return seq
	}
	return func(yield func(engine.Input) bool) {
		for in := range seq {
			if rest, ok := strings.CutPrefix(in.Where, path+":"); ok {
				if in.ID == in.Where {
					in.ID = name + ":" + rest
				}
				in.Where = name + ":" + rest
			}
			if !yield(in) {
				return
			}
		}
	}
}
