// Package cluster lets several salvo processes, on any number of machines,
// share one catalog through PostgreSQL. It is a thin layer over River
// (github.com/riverqueue/river): the input is split into jobs, ranges of
// records; every process inserts the same jobs (River skips the ones
// already there, UniqueOpts.ByArgs) and works them until none is left.
// River gives the leases: a job whose process died is rescued after
// [Options.Lease] and worked again by another process.
//
// River's tables (river_job, river_leader, river_queue, …) live in salvo's
// schema (salvo, or the URL's ?schema=NAME), beside salvo's own tables,
// never in the public schema.
package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/salvoembed/salvo/postgres"
)

// DefaultLease is how long a job may run before River takes it back and
// gives it to another process: the job's timeout, and the age after which
// a running job counts as stuck.
const DefaultLease = time.Minute

// DefaultJobSize is the number of records in a job: about 20 s at the
// ~25 texts/s of a CPU Ollama, well within DefaultLease.
const DefaultJobSize = 500

// maxAttempts bounds the runs of one job (a run ended by a dead process
// counts): a job that keeps failing is discarded and reported.
const maxAttempts = 10

// Job is a range of records of one input: River's job arguments. Two
// processes that read the same input make the same jobs; only the fields
// tagged unique tell jobs apart, so Name is that of the process whose
// insert came first, whatever path the others read the file from.
type Job struct {
	Queue      string `json:"queue" river:"unique"`  // the run's queue: one per collection, model, template and inputs
	Collection string `json:"collection"`            // for salvo status
	Source     string `json:"source" river:"unique"` // sha256:HEX of a file's content, or "sql" for an ID range of --source-db
	Name       string `json:"name"`                  // the file's name in the first process, for record IDs and messages
	First      int64  `json:"first" river:"unique"`  // index of the first record, from 0; with "sql", the first ID
	End        int64  `json:"end" river:"unique"`    // index after the last record, 0: to the end of the input; with "sql", the ID after the last, ≤ First: no limit
	// Settings are what the run stores records with, by name (the queue
	// is made from them): a run of the same collection with other
	// settings is refused while these jobs are unfinished.
	Settings map[string]string `json:"settings,omitempty"`
}

// Kind is River's name for salvo's jobs.
func (Job) Kind() string { return "salvo_embed_range" }

// Split cuts an input of n records (n < 0: unknown) into jobs of size
// records. The last job runs to the end of the input, so a count that
// is off still covers every record.
func Split(queue, collection, source, name string, n, size int64) []Job {
	if size <= 0 {
		size = DefaultJobSize
	}
	var jobs []Job
	for first := int64(0); ; first += size {
		j := Job{Queue: queue, Collection: collection, Source: source, Name: name, First: first, End: first + size}
		if n < 0 || j.End >= n {
			j.End = 0
			return append(jobs, j)
		}
		jobs = append(jobs, j)
	}
}

// QueueName is the River queue of a run: the same for every process given
// the same collection, model, template and inputs (key), and a name River
// accepts.
func QueueName(key ...string) string {
	h := sha256.New()
	for _, k := range key {
		fmt.Fprintf(h, "%d:%s\n", len(k), k)
	}
	return "salvo_" + hex.EncodeToString(h.Sum(nil))[:20]
}

// FileDigest is the Source of a file's jobs: sha256 of its content.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := f.WriteTo(h); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Options configure a [Queue].
type Options struct {
	Lease  time.Duration // default DefaultLease
	Logger *slog.Logger  // River's logs; default: warnings and errors to standard error
	// DBTimeout is how long Work goes on while the database cannot be
	// reached (a restart, a failover: [postgres.Transient] errors) before
	// it returns the last error; 0: it returns at once.
	DBTimeout time.Duration
}

// Queue is River on salvo's PostgreSQL schema.
type Queue struct {
	pool      *pgxpool.Pool
	schema    string
	lease     time.Duration
	logger    *slog.Logger
	dbTimeout time.Duration
}

// SchemaError is a schema name River cannot keep its tables in.
type SchemaError struct {
	Schema string
	Err    error // River's reason
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("schema %q cannot hold River's tables: %v", e.Schema, e.Err)
}

func (e *SchemaError) Unwrap() error { return e.Err }

// CheckSchema returns a *[SchemaError] when River refuses the schema name
// (letters, digits and underscores, at most 46 characters): call it before
// anything is created in the schema. It asks River itself, offline.
func CheckSchema(schema string) error {
	if _, err := river.NewClient(riverpgxv5.New(nil), &river.Config{Schema: schema}); err != nil {
		return &SchemaError{Schema: schema, Err: err}
	}
	return nil
}

// Open connects to the database of a salvo --db URL and brings River's
// tables in salvo's schema up to date (rivermigrate, under an advisory
// lock, so that processes starting together do not race). The schema
// must exist: open the salvo store first.
func Open(ctx context.Context, rawURL string, opts Options) (*Queue, error) {
	connURL, schema, err := postgres.SplitURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := CheckSchema(schema); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	q := &Queue{pool: pool, schema: schema, lease: opts.Lease, logger: opts.Logger, dbTimeout: opts.DBTimeout}
	if q.lease <= 0 {
		q.lease = DefaultLease
	}
	if q.logger == nil {
		q.logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := q.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("River's tables in schema %s: %w", schema, err)
	}
	return q, nil
}

// Close closes the connections.
func (q *Queue) Close() { q.pool.Close() }

// Schema is where River's tables are.
func (q *Queue) Schema() string { return q.schema }

func (q *Queue) migrate(ctx context.Context) error {
	m, err := rivermigrate.New(riverpgxv5.New(q.pool), &rivermigrate.Config{Schema: q.schema, Logger: q.logger})
	if err != nil {
		return err
	}
	// River's migrations cannot run in one transaction (one adds an enum
	// value that a later one uses): a session lock keeps the processes
	// that start together from applying them at the same time.
	lock, err := q.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer lock.Release()
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock(hashtext('salvo river migrate ' || $1))", q.schema); err != nil {
		return err
	}
	defer lock.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('salvo river migrate ' || $1))", q.schema) //nolint:errcheck // released with the session too
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// Insert adds the jobs of a run. Every process of the run calls it, under
// an advisory lock on the queue: the first to arrive inserts its jobs, the
// others find unfinished jobs in the queue and insert nothing, so a table
// that grew between two processes' splits cannot make overlapping jobs;
// and River skips any job already there (UniqueOpts.ByArgs) whatever
// happens. When the queue holds only finished jobs, a run of the same
// command finished before: they are deleted first, so that this run
// starts over (stored records are skipped as in any run). It returns the
// number of jobs this call inserted.
func (q *Queue) Insert(ctx context.Context, jobs []Job) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	client, err := river.NewClient(riverpgxv5.New(q.pool), &river.Config{Schema: q.schema, Logger: q.logger})
	if err != nil {
		return 0, err
	}
	queue := jobs[0].Queue
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: j, InsertOpts: &river.InsertOpts{
			Queue: queue, MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true},
		}}
	}
	inserted := 0
	err = pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		// One collection at a time: a run whose settings differ from
		// those of the unfinished jobs of the collection is refused.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('salvo river insert ' || $1))", jobs[0].Collection); err != nil {
			return err
		}
		if err := q.checkSettings(ctx, tx, jobs[0]); err != nil {
			return err
		}
		var unfinished, finished int
		if err := tx.QueryRow(ctx, "SELECT count(*) FILTER (WHERE state NOT IN ('completed','discarded','cancelled')), count(*) FILTER (WHERE state IN ('completed','discarded','cancelled')) FROM "+q.table()+" WHERE queue = $1", queue).Scan(&unfinished, &finished); err != nil {
			return err
		}
		if unfinished > 0 {
			return nil // the first process to arrive split the input: its jobs stand
		}
		if finished > 0 {
			if _, err := tx.Exec(ctx, "DELETE FROM "+q.table()+" WHERE queue = $1", queue); err != nil {
				return err
			}
		}
		res, err := client.InsertManyTx(ctx, tx, params)
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				inserted++
			}
		}
		return err
	})
	return inserted, err
}

func (q *Queue) table() string { return pgx.Identifier{q.schema, "river_job"}.Sanitize() }

// WorkFunc works one job. It returns once every record of the range is
// stored (or failed into the failures file); an error makes River run the
// job again later, here or elsewhere.
type WorkFunc func(ctx context.Context, j Job) error

type worker struct {
	river.WorkerDefaults[Job]
	work WorkFunc
}

func (w *worker) Work(ctx context.Context, job *river.Job[Job]) error { return w.work(ctx, job.Args) }

// Progress is what a process knows of its queue while it works.
type Progress struct {
	Worked   int // jobs this process finished
	Failed   int // jobs discarded after maxAttempts runs (anywhere)
	Attempts int // runs this process started, counting those that failed
}

// Work runs River on the queue, one job at a time (work uses every host
// itself), until the queue holds no job that is waiting or running: the
// jobs of a process that died count until River rescues them, after the
// lease, and another process works them. The context's cancellation
// stops at once: River gets the job back after the lease.
func (q *Queue) Work(ctx context.Context, queue string, work WorkFunc) (Progress, error) {
	var p Progress
	var worked, attempts atomic.Int64
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{work: func(ctx context.Context, j Job) error {
		attempts.Add(1)
		err := work(ctx, j)
		if err == nil {
			worked.Add(1)
		}
		return err
	}})
	host, _ := os.Hostname()
	client, err := river.NewClient(riverpgxv5.New(q.pool), &river.Config{
		ID:                   fmt.Sprintf("salvo_%s_pid%d_%d", host, os.Getpid(), time.Now().UnixMilli()), // says which process leads (river_leader)
		Schema:               q.schema,
		Logger:               q.logger,
		Queues:               map[string]river.QueueConfig{queue: {MaxWorkers: 1}},
		Workers:              workers,
		JobTimeout:           q.lease,
		RescueStuckJobsAfter: q.lease,
		RetryPolicy:          soonRetry{},
		FetchPollInterval:    200 * time.Millisecond,
		FetchCooldown:        50 * time.Millisecond,
		MaxAttempts:          maxAttempts,
	})
	if err != nil {
		return p, err
	}
	if err := client.Start(ctx); err != nil {
		return p, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		client.Stop(stopCtx) //nolint:errcheck // nothing runs any more, or the run is abandoned
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lost time.Time // when the database stopped answering; zero: it answers
	for {
		c, err := q.counts(ctx, queue)
		switch {
		case err != nil && ctx.Err() != nil:
			return p, ctx.Err()
		case err != nil && postgres.Transient(err) && (lost.IsZero() || time.Since(lost) < q.dbTimeout):
			if lost.IsZero() {
				lost = time.Now() // River retries its own work meanwhile
			}
		case err != nil:
			return p, err
		}
		if err == nil {
			lost = time.Time{}
			p.Worked, p.Attempts = int(worked.Load()), int(attempts.Load())
			if c.Waiting+c.Running == 0 {
				p.Failed = c.Failed
				if c.Failed > 0 {
					return p, fmt.Errorf("%d job(s) of queue %s failed %d times: see their errors with SELECT errors FROM %s WHERE queue = '%s' AND state = 'discarded'", c.Failed, queue, maxAttempts, q.table(), queue)
				}
				return p, nil
			}
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-tick.C:
		}
	}
}

// soonRetry runs a failed or rescued job again after a second: the lease
// already made a rescued job wait, and a process that failed a job for a
// passing reason should not keep the others waiting long.
type soonRetry struct{}

func (soonRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * time.Second)
}

// Counts are the jobs of one collection by state.
type Counts struct {
	Collection string `json:"collection"`
	Queue      string `json:"queue"`
	Done       int    `json:"done"`
	Running    int    `json:"running"`
	Waiting    int    `json:"waiting"` // available, scheduled, retryable, pending
	Failed     int    `json:"failed"`  // discarded or cancelled
}

const countsSQL = `SELECT coalesce(args->>'collection', ''), queue,
	count(*) FILTER (WHERE state = 'completed'),
	count(*) FILTER (WHERE state = 'running'),
	count(*) FILTER (WHERE state IN ('available','scheduled','retryable','pending')),
	count(*) FILTER (WHERE state IN ('discarded','cancelled'))
FROM %s WHERE kind = 'salvo_embed_range' %s GROUP BY 1, 2 ORDER BY 1, 2`

func (q *Queue) counts(ctx context.Context, queue string) (Counts, error) {
	var c Counts
	err := q.pool.QueryRow(ctx, fmt.Sprintf(countsSQL, q.table(), "AND queue = $1"), queue).
		Scan(&c.Collection, &c.Queue, &c.Done, &c.Running, &c.Waiting, &c.Failed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Counts{Queue: queue}, nil
	}
	return c, err
}

// Status lists the jobs in the schema of a salvo --db URL, by collection
// and queue. A schema without River's tables has none: no error.
func Status(ctx context.Context, rawURL string) ([]Counts, error) {
	connURL, schema, err := postgres.SplitURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(connURL)
	if err != nil {
		return nil, err
	}
	// Prepares nothing: PGlite shares one session among connections, where
	// a prepared statement outlives this one and the next status's would
	// collide with it.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	table := pgx.Identifier{schema, "river_job"}.Sanitize()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := conn.Query(ctx, fmt.Sprintf(countsSQL, table, ""))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Counts, error) {
		var c Counts
		err := r.Scan(&c.Collection, &c.Queue, &c.Done, &c.Running, &c.Waiting, &c.Failed)
		return c, err
	})
}
