// Package engine is salvo's pipeline: it reads inputs, skips what the store
// already has, batches the rest, sends the batches to one or more embedding
// servers with bounded concurrency, retries and backoff, isolates bad inputs
// by splitting failed batches, validates every vector, and writes each
// completed batch to the store in one transaction.
//
//	inputs → resolver (cache lookup, dedup, batching) → workers (per host) → writer
//
// Every channel between the stages is bounded, so memory does not grow with
// the input, and there is never a goroutine per record. Start with [Run].
package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/salvoembed/salvo"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// Input is one record to embed, as the caller rendered it.
type Input struct {
	ID    string // the record's ID in the collection
	Text  string // what to embed
	Where string // "file:line", for messages
	// Err, when set, marks a record that could not be read or rendered. It
	// is reported to the failures sink and counted as failed.
	Err error
}

// Host is one embedding server and how many requests it may have in flight.
type Host struct {
	Name     string // for messages, e.g. "http://127.0.0.1:11434"
	Embedder salvo.Embedder
	// Concurrency is a fixed number of requests in flight; 0 lets an
	// adaptive Limiter find the server's knee.
	Concurrency int
}

// Defaults for Config.
const (
	DefaultRetries = 5
	DefaultTimeout = 2 * time.Minute
	// lookupChunk is how many inputs the resolver looks up in the store at
	// once: large enough to amortise a query, small enough to stay flat.
	lookupChunk = 256
)

// Config describes a run. The zero value of each optional field is a sensible
// default.
type Config struct {
	Hosts      []Host      // at least one
	Store      salvo.Store // required
	Collection string      // required; must have been opened with Store.OpenCollection
	Key        salvo.KeySpec
	Dims       int // the collection's vector length; 0 = take it from the first answer
	// ModelDims is the model's vector length as the server describes it
	// (Ollama's /api/show), 0 if unknown. When the collection is new and
	// the first answer has another length, a second request settles it.
	ModelDims int

	BatchSize int           // texts per request; 0 = adaptive (see Batcher)
	Retries   int           // resends of a failing request; default DefaultRetries, <0 for none
	Timeout   time.Duration // per request; default DefaultTimeout
	// HostTimeout is how long every host may be down (failing one request
	// after another, probed with Backoff) before the run stops with a
	// *FatalError; default DefaultHostTimeout.
	HostTimeout time.Duration
	Rate        float64 // max texts per second over all hosts; 0 = unlimited
	Backoff     Backoff // between retries of a failed request
	// BusyBackoff paces resends after "server busy" answers (503, 429):
	// they are backpressure, not failure, so they are retried sooner and
	// far more often than Retries allows. Default 50ms..2s.
	BusyBackoff Backoff
	Limit       int  // stop after this many inputs; 0 = all
	Force       bool // re-embed everything, bypassing the store and the cache
	// Reembed re-stores records already in the collection (from the cache,
	// so without requests). It is the opposite of --skip-existing.
	Reembed bool

	// ContextTokens is the model's context length in tokens, when known. A
	// single-text request whose token count reaches it was truncated.
	ContextTokens int

	Failures FailureSink // where failed records go; nil discards them (they are still counted)
	Counters *Counters   // live figures; nil = Run makes its own
}

// Report is the outcome of a run.
type Report struct {
	Read      int64   `json:"read"`
	Embedded  int64   `json:"embedded"`
	Cached    int64   `json:"cached"`
	Failed    int64   `json:"failed"`
	Truncated int64   `json:"truncated"`
	Requests  int64   `json:"requests"`
	Retries   int64   `json:"retries"`
	Splits    int64   `json:"splits"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"` // records embedded per second
	P50       float64 `json:"p50_ms"`     // request latency
	P95       float64 `json:"p95_ms"`
	LoadSecs  float64 `json:"model_load_seconds"` // time servers spent loading the model
}

// ErrInterrupted is returned when the context was cancelled: what was
// written is committed, the rest is embedded by the next run.
var ErrInterrupted = errors.New("interrupted")

// FatalError stops a run: a missing model, a server that cannot be reached,
// a store that cannot be written.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Run embeds inputs into cfg.Collection. It returns a report in every case;
// the error is nil when the run finished (some records may have failed: see
// Report.Failed), ErrInterrupted when ctx was cancelled, or a *FatalError.
func Run(ctx context.Context, cfg Config, inputs iter.Seq[Input]) (*Report, error) {
	if err := cfg.check(); err != nil {
		return &Report{}, err
	}
	r := newRun(cfg)
	start := time.Now()
	err := r.run(ctx, inputs)
	rep := r.report(time.Since(start))
	if err == nil && ctx.Err() != nil {
		err = ErrInterrupted
	}
	return rep, err
}

func (c *Config) check() error {
	if len(c.Hosts) == 0 {
		return errors.New("engine: no hosts")
	}
	if c.Store == nil || c.Collection == "" {
		return errors.New("engine: Store and Collection are required")
	}
	for i := range c.Hosts {
		if c.Hosts[i].Embedder == nil {
			return fmt.Errorf("engine: host %q has no Embedder", c.Hosts[i].Name)
		}
		if c.Hosts[i].Concurrency < 0 {
			c.Hosts[i].Concurrency = 0
		}
	}
	if c.BatchSize < 0 {
		c.BatchSize = 0
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.BusyBackoff.Base <= 0 {
		c.BusyBackoff = Backoff{Base: 50 * time.Millisecond, Max: 2 * time.Second}
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HostTimeout <= 0 {
		c.HostTimeout = DefaultHostTimeout
	}
	if c.Counters == nil {
		c.Counters = new(Counters)
		c.Counters.Total.Store(-1)
	}
	return nil
}

// run is one execution of Config.
type run struct {
	cfg     Config
	c       *Counters
	lat     latencies
	dedup   dedup
	limiter *rate.Limiter
	dims    dimsCheck
	limits  []*Limiter     // per host: requests in flight
	hosts   *hosts         // per host: up or down
	loads   []atomic.Int64 // per host: the longest model load reported (ns)
	batcher *Batcher
}

func newRun(cfg Config) *run {
	r := &run{cfg: cfg, c: cfg.Counters}
	r.dedup.groups = make(map[salvo.Key]*group)
	r.dims.want.Store(int64(cfg.Dims))
	r.batcher = NewBatcher(cfg.BatchSize, 0, 0, 0)
	r.loads = make([]atomic.Int64, len(cfg.Hosts))
	if cfg.Rate > 0 {
		// The bucket holds one batch: the largest request that may be sent.
		burst := cfg.BatchSize
		if burst == 0 {
			burst = DefaultBatchMax
		}
		r.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), burst)
	}
	names := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		r.limits = append(r.limits, NewLimiter(LimiterConfig{Fixed: h.Concurrency}))
		names[i] = h.Name
	}
	r.hosts = newHosts(names, cfg.HostTimeout)
	return r
}

func (r *run) report(elapsed time.Duration) *Report {
	c := r.c
	rep := &Report{
		Read:      c.Read.Load(),
		Embedded:  c.Embedded.Load(),
		Cached:    c.Cached.Load(),
		Failed:    c.Failed.Load(),
		Truncated: c.Truncated.Load(),
		Requests:  c.Requests.Load(),
		Retries:   c.Retries.Load(),
		Splits:    c.Splits.Load(),
		Seconds:   elapsed.Seconds(),
		P50:       float64(r.lat.quantile(0.50)) / 1e6,
		P95:       float64(r.lat.quantile(0.95)) / 1e6,
	}
	for i := range r.loads {
		rep.LoadSecs += time.Duration(r.loads[i].Load()).Seconds()
	}
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Embedded) / rep.Seconds
	}
	return rep
}

func (r *run) run(ctx context.Context, inputs iter.Seq[Input]) error {
	// The first error of any stage cancels gctx, and every stage waits with
	// gctx: a fatal error stops the whole pipeline within one request.
	g, gctx := errgroup.WithContext(ctx)
	// Small buffers: the workers waiting for a permit already hold the
	// next batches, and the writer commits faster than any server answers.
	// Each buffered outcome holds a batch's vectors, so a large buffer would
	// only cost memory.
	chunks := make(chan []pending, 2)
	batches := make(chan *batch, 2*len(r.limits))
	results := make(chan *outcome, 2*len(r.limits)+2)

	g.Go(func() error { defer close(chunks); return r.read(gctx, inputs, chunks) })
	g.Go(func() error { defer close(batches); return r.resolve(gctx, chunks, batches, results) })

	// The probers bring failed hosts back; they stop with the workers.
	pctx, stopProbes := context.WithCancel(gctx)
	defer stopProbes()
	var workers sync.WaitGroup
	for hi, l := range r.limits {
		for range l.Max() {
			workers.Add(1)
			g.Go(func() error { defer workers.Done(); return r.work(gctx, hi, batches, results) })
		}
	}
	// Every worker returns once gctx is done or batches is drained.
	g.Go(func() error { workers.Wait(); close(results); stopProbes(); return nil })
	for hi := range r.cfg.Hosts {
		g.Go(func() error { return r.probe(pctx, hi) })
	}
	// The writer commits whatever reaches it, even after a cancellation:
	// Ctrl-C and a fatal error elsewhere finish the writes in flight. Its
	// own fatal error (a store that fails) returns at once and so cancels
	// the others.
	g.Go(func() error { return r.write(context.WithoutCancel(ctx), results) })

	err := g.Wait()
	var fe *FatalError
	if errors.As(err, &fe) {
		return err
	}
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return &FatalError{err}
	}
	return nil
}

// read turns inputs into chunks of pending records, reporting bad ones.
func (r *run) read(ctx context.Context, inputs iter.Seq[Input], out chan<- []pending) error {
	chunk := make([]pending, 0, lookupChunk)
	flush := func() bool {
		if len(chunk) == 0 {
			return true
		}
		select {
		case out <- chunk:
			chunk = make([]pending, 0, lookupChunk)
			return true
		case <-ctx.Done():
			return false
		}
	}
	n := 0
	for in := range inputs {
		if ctx.Err() != nil {
			return nil
		}
		n++
		r.c.Read.Add(1)
		if in.Err != nil {
			if err := r.fail(Failure{ID: in.ID, Where: in.Where, Stage: StageInput, Error: in.Err.Error()}); err != nil {
				return err
			}
		} else {
			chunk = append(chunk, pending{ref: ref{id: in.ID, where: in.Where}, text: in.Text, key: r.cfg.Key.Key(in.Text)})
			if len(chunk) == lookupChunk && !flush() {
				return nil
			}
		}
		if r.cfg.Limit > 0 && n >= r.cfg.Limit {
			break
		}
	}
	flush()
	return nil
}

func (r *run) fail(f Failure) error {
	r.c.Failed.Add(1)
	if r.cfg.Failures == nil {
		return nil
	}
	if f.Time.IsZero() {
		f.Time = time.Now().UTC()
	}
	if err := r.cfg.Failures.Fail(f); err != nil {
		return &FatalError{err}
	}
	return nil
}
