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
	// Fields is a JSON object of the record fields to keep with the item
	// (salvo.Item.Fields); nil keeps none.
	Fields []byte
	// Err, when set, marks a record that could not be read or rendered. It
	// is reported to the failures sink and counted as failed.
	Err error
}

// Host is one embedding server and how many requests it may have in flight.
type Host struct {
	Name     string // for messages, e.g. "http://127.0.0.1:11434"
	Embedder salvo.Embedder
	// Concurrency is a fixed number of requests in flight; 0 lets an
	// adaptive limiter find the server's knee.
	Concurrency int
	// Limiter, when set, bounds the host's requests in flight instead of
	// one made from Concurrency; the caller may read its Limit and
	// InFlight while the run goes on (metrics).
	Limiter *Limiter
}

func (h Host) limiter() *Limiter {
	if h.Limiter != nil {
		return h.Limiter
	}
	return NewLimiter(LimiterConfig{Fixed: h.Concurrency})
}

// Defaults for Config.
const (
	// DefaultRetries is what salvo's CLI passes as Config.Retries unless
	// told otherwise (--retries). The zero value of Config.Retries means no
	// retries at all, busy answers included.
	DefaultRetries = 5
	// DefaultTimeout is used when Config.Timeout is 0.
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

	BatchSize int           // texts per request; 0 = adaptive (see batcher)
	Retries   int           // resends of a failing request; 0 = none (salvo's CLI uses DefaultRetries)
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

	// Chunk cuts long texts into pieces stored under the record's ID
	// (salvo.Chunk): 0 none, ChunkAuto those over ContextTokens, N > 0
	// into pieces of at most N (estimated) tokens. ChunkOverlap is the
	// tokens pieces share: 0 about a tenth of a piece, < 0 none.
	Chunk, ChunkOverlap int

	// OnDuplicate says what to do with a record whose ID an earlier record
	// of the run had; the zero value fails it (see DuplicatePolicy).
	OnDuplicate DuplicatePolicy

	Failures FailureSink // where failed records go; nil discards them (they are still counted)
	Counters *Counters   // live figures; nil = Run makes its own
}

// Report is the outcome of a run.
type Report struct {
	Read     int64 `json:"read"`
	Embedded int64 `json:"embedded"`
	Cached   int64 `json:"cached"`
	// Unchanged records were stored under their ID with the same text and
	// model key already (0 with Config.Force, which looks nothing up).
	Unchanged int64 `json:"unchanged"`
	Failed    int64 `json:"failed"`
	// Duplicates were skipped for an ID another record of the run has
	// (--on-duplicate first or last); with the default, they fail.
	Duplicates int64 `json:"duplicates"`
	Truncated  int64 `json:"truncated"`
	Requests   int64 `json:"requests"`
	Retries    int64 `json:"retries"`
	Splits     int64 `json:"splits"`
	// Chunked records were cut into Pieces pieces (Config.Chunk), each
	// counted once elsewhere; Recut texts, refused as too long, were
	// embedded as the mean of smaller pieces.
	Chunked   int64   `json:"chunked"`
	Pieces    int64   `json:"pieces"`
	Recut     int64   `json:"recut,omitempty"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"` // records embedded per second
	P50       float64 `json:"p50_ms"`     // request latency
	P95       float64 `json:"p95_ms"`
	LoadSecs  float64 `json:"model_load_seconds"` // time servers spent loading the model
	// PerHost has one entry per host, in the order of Config.Hosts.
	PerHost []HostReport `json:"per_host"`
}

// ErrInterrupted is returned when the context was cancelled: what was
// written is committed, the rest is embedded by the next run.
var ErrInterrupted = errors.New("interrupted")

// Run embeds inputs into cfg.Collection. It returns a report in every case;
// the error is nil when the run finished (some records may have failed: see
// Report.Failed), ErrInterrupted when ctx was cancelled, or a *FatalError.
//
// inputs is ranged over in a goroutine of Run's. After a cancellation Run
// returns without waiting for an iterator blocked in a read (an idle
// standard input); its next yield returns false.
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
	if c.Chunk < ChunkAuto {
		return fmt.Errorf("engine: Chunk %d: give ChunkAuto, 0 (off) or a number of tokens", c.Chunk)
	}
	if c.Retries < 0 {
		return fmt.Errorf("engine: %d retries: give 0 for none", c.Retries)
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
	cfg      Config
	c        *Counters
	lat      latencies
	dedup    dedup
	limiter  *rate.Limiter
	dims     dimsCheck
	limits   []*Limiter     // per host: requests in flight
	hosts    *hosts         // per host: up or down
	loads    []atomic.Int64 // per host: the longest model load reported (ns)
	batchers []*batcher     // per host: the batch size its answers call for
	stats    []hostStats    // per host: what it did
	ids      *idSet         // the IDs read so far (reader only)
	latest   *latest        // DuplicateLast: the newest record of each repeated ID
	ratio    ratioBits      // tokens counted per token estimated, the highest seen (chunking)
	tally    tallies        // the records cut into pieces, until each is counted
}

func newRun(cfg Config) *run {
	r := &run{cfg: cfg, c: cfg.Counters}
	r.dedup.groups = make(map[salvo.Key]*group)
	r.dims.want.Store(int64(cfg.Dims))
	r.ids = newIDSet()
	r.latest = &latest{seq: map[uint64]int64{}}
	r.loads = make([]atomic.Int64, len(cfg.Hosts))
	r.stats = make([]hostStats, len(cfg.Hosts))
	if cfg.Rate > 0 {
		// The bucket holds one batch: the largest request that may be sent.
		burst := cfg.BatchSize
		if burst == 0 {
			burst = defaultBatchMax
		}
		r.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), burst)
	}
	names := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		r.limits = append(r.limits, h.limiter())
		r.batchers = append(r.batchers, newBatcher(cfg.BatchSize, 0, 0, 0))
		names[i] = h.Name
	}
	r.hosts = newHosts(names, cfg.HostTimeout)
	return r
}

func (r *run) report(elapsed time.Duration) *Report {
	c := r.c
	rep := &Report{
		Read:       c.Read.Load(),
		Embedded:   c.Embedded.Load(),
		Cached:     c.Cached.Load(),
		Unchanged:  c.Unchanged.Load(),
		Failed:     c.Failed.Load(),
		Duplicates: c.Duplicates.Load(),
		Truncated:  c.Truncated.Load(),
		Requests:   c.Requests.Load(),
		Retries:    c.Retries.Load(),
		Splits:     c.Splits.Load(),
		Chunked:    c.Chunked.Load(),
		Pieces:     c.Pieces.Load(),
		Recut:      c.Recut.Load(),
		Seconds:    elapsed.Seconds(),
		P50:        float64(r.lat.quantile(0.50)) / 1e6,
		P95:        float64(r.lat.quantile(0.95)) / 1e6,
	}
	for i := range r.loads {
		rep.LoadSecs += time.Duration(r.loads[i].Load()).Seconds()
		h := &r.stats[i]
		state := "up"
		if r.hosts.isDown(i) {
			state = "down"
		}
		rep.PerHost = append(rep.PerHost, HostReport{
			Name: r.cfg.Hosts[i].Name, Embedded: h.embedded.Load(), Requests: h.requests.Load(), Retries: h.retries.Load(),
			P50: float64(h.lat.quantile(0.50)) / 1e6, P95: float64(h.lat.quantile(0.95)) / 1e6, State: state,
		})
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
	chunks := make(chan *chunk, 2)
	batches := make(chan *batch, 2*len(r.limits))
	// spare holds the parts of batches that a slower host's workers cut
	// off (see work); each worker adds at most one before it takes again,
	// so a buffer of one per worker never blocks.
	workers := 0
	for _, l := range r.limits {
		workers += l.Max()
	}
	spare := make(chan *batch, workers)
	results := make(chan *outcome, 2*len(r.limits)+2)

	g.Go(func() error { defer close(chunks); return r.read(gctx, inputs, chunks) })
	// drained ends once the resolver has sent its last batch.
	drained, allSent := context.WithCancel(gctx)
	defer allSent()
	g.Go(func() error {
		defer allSent()
		defer close(batches)
		return r.resolve(gctx, chunks, batches, results)
	})

	// The probers bring failed hosts back; they stop with the workers.
	pctx, stopProbes := context.WithCancel(gctx)
	defer stopProbes()
	var running sync.WaitGroup
	for hi, l := range r.limits {
		for range l.Max() {
			running.Add(1)
			g.Go(func() error { defer running.Done(); return r.work(gctx, drained, hi, batches, spare, results) })
		}
	}
	// Every worker returns once gctx is done or batches is drained.
	g.Go(func() error { running.Wait(); close(results); stopProbes(); return nil })
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

// flushAfter is how long a partial chunk waits for more records: a slow
// stream (a record a second on standard input) is embedded as it comes,
// while a fast one still fills whole chunks.
const flushAfter = 100 * time.Millisecond

// read turns inputs into chunks of pending records and failures. The
// iterator runs in a goroutine of its own: one that blocks (an idle
// standard input) delays neither a partial chunk nor the end of a
// cancelled run. After a cancellation Run does not wait for it to return.
func (r *run) read(ctx context.Context, inputs iter.Seq[Input], out chan<- *chunk) error {
	ins := make(chan Input, 64)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(ins)
		for in := range inputs {
			select {
			case ins <- in:
			case <-stop:
				return
			}
		}
	}()

	cur := &chunk{recs: make([]pending, 0, lookupChunk)}
	timer := time.NewTimer(flushAfter)
	timer.Stop()
	var due <-chan time.Time // the timer's channel while a partial chunk waits
	flush := func(idle bool) bool {
		timer.Stop()
		due = nil
		if len(cur.recs) == 0 && len(cur.fails) == 0 {
			return true
		}
		cur.idle = idle
		select {
		case out <- cur:
			cur = &chunk{recs: make([]pending, 0, lookupChunk)}
			return true
		case <-ctx.Done():
			return false
		}
	}
	var n int64
	for {
		var in Input
		var ok bool
		select {
		case in, ok = <-ins:
		case <-due:
			if !flush(true) {
				return nil
			}
			continue
		case <-ctx.Done():
			return nil
		}
		if !ok {
			flush(false)
			return nil
		}
		n++
		r.c.Read.Add(1)
		if due == nil {
			timer.Reset(flushAfter)
			due = timer.C
		}
		r.take(in, n, cur)
		if (len(cur.recs) >= lookupChunk || len(cur.fails) >= lookupChunk) && !flush(false) {
			return nil
		}
		if r.cfg.Limit > 0 && n >= int64(r.cfg.Limit) {
			flush(false)
			return nil
		}
	}
}

// take adds the n-th input of the run to cur: a record to look up, or a
// failure (a bad record, a repeated ID).
func (r *run) take(in Input, n int64, cur *chunk) {
	if in.Err != nil {
		cur.fails = append(cur.fails, Failure{ID: in.ID, Where: in.Where, Stage: stageInput, Error: in.Err.Error(), Err: in.Err})
		return
	}
	h := r.ids.hash(in.ID)
	if first, fresh := r.ids.add(h, in.Where); !fresh {
		switch r.cfg.OnDuplicate {
		case DuplicateFirst:
			r.c.Duplicates.Add(1)
			return
		case DuplicateLast:
			r.c.Duplicates.Add(1) // the earlier record: it is not written from now on
			r.latest.set(h, n)
		default:
			err := &DuplicateError{First: first}
			cur.fails = append(cur.fails, Failure{ID: in.ID, Where: in.Where, Stage: stageDuplicate, Error: err.Error(), Err: err})
			return
		}
	}
	if r.takePieces(in, n, cur) {
		return
	}
	cur.recs = append(cur.recs, pending{ref: ref{id: in.ID, where: in.Where, seq: n, fields: in.Fields}, text: in.Text, key: r.cfg.Key.Key(in.Text)})
}

// latest holds, for DuplicateLast, the number of the newest record of each
// ID read more than once. The writer skips an older record of such an ID,
// so the last one wins whatever order the requests finish in.
type latest struct {
	mu  sync.Mutex
	seq map[uint64]int64 // ID hash → the newest record's number
}

func (l *latest) set(h uint64, n int64) {
	l.mu.Lock()
	l.seq[h] = n
	l.mu.Unlock()
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
