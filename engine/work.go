package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/salvoembed/salvo"
)

// work sends batches to host hi until there are none left. A retryable
// failure is sent again, to the next host when there are several.
//
// A worker takes a batch only once its host has room: it holds one of the
// host's permits (its limiter's) and its host is up. So the hosts pull work
// at the pace their limits allow, a fast host takes more and a slow one
// less, and no batch waits behind a host that cannot start it. A host whose
// answers call for smaller batches (a slower one) takes the first part of a
// batch and leaves the rest in spare, which every worker empties before it
// takes a new batch: a slow host then holds little work at the end of a run.
//
// A down host's workers wait for it to come back until drained ends (the
// resolver has sent its last batch); then they take what is left like any
// worker, and embed sends it to a host that is up, or waits for one until
// the host timeout, so that the run ends either way.
func (r *run) work(ctx, drained context.Context, hi int, batches <-chan *batch, spare chan *batch, results chan<- *outcome) error {
	lim := r.limits[hi]
	for {
		r.hosts.await(drained, hi, false) // a down host takes nothing: its prober brings it back
		if ctx.Err() != nil {
			return nil
		}
		held := !r.hosts.isDown(hi)
		if held && lim.Acquire(ctx) != nil {
			return nil
		}
		b := r.next(ctx, batches, spare)
		if b == nil { // no more batches, or cancelled
			if held {
				lim.Release(sample{Outcome: signalDropped})
			}
			return nil
		}
		if n := r.share(hi, len(b.groups)); held && len(b.groups) > n {
			spare <- &batch{groups: b.groups[n:]}
			b.groups = b.groups[:n:n]
		}
		texts := b.texts()
		vecs := make([][]float32, len(texts))
		errs := make([]error, len(texts))
		if err := r.embed(ctx, hi, held, texts, vecs, errs); err != nil {
			return err // fatal, or cancelled: the batch is not committed and the next run does it
		}
		select {
		case results <- &outcome{groups: b.groups, vecs: vecs, errs: errs}:
		case <-ctx.Done():
			return nil
		}
	}
}

// retry counts a request sent again after host h failed it.
func (r *run) retry(h int) {
	r.c.Retries.Add(1)
	r.stats[h].retries.Add(1)
}

// shareBelow is how much slower than the fastest host a host must be to
// take only its share of a batch: hosts of about the same speed take whole
// batches, rather than cutting off a few texts that cost a request of their
// own.
const shareBelow = 0.8

// share is how many texts of a batch of n host hi takes: no more than its
// batch size, and the part of n its speed calls for: the texts per second
// it has answered so far over those of the fastest host. A host four times
// slower than the fastest takes a quarter, so that it does not hold the last
// texts of a run long after the others are done.
func (r *run) share(hi, n int) int {
	n = min(n, r.batchers[hi].Size())
	now := time.Now()
	own, fastest := r.stats[hi].rate(now), 0.0
	for i := range r.stats {
		fastest = max(fastest, r.stats[i].rate(now))
	}
	if own > 0 && own < shareBelow*fastest {
		n = max(1, int(math.Ceil(float64(n)*own/fastest)))
	}
	return n
}

// next returns the next batch, a spare part first; nil when there is none
// left or ctx is done.
func (r *run) next(ctx context.Context, batches <-chan *batch, spare chan *batch) *batch {
	select {
	case b := <-spare:
		return b
	default:
	}
	select {
	case b := <-spare:
		return b
	case b := <-batches:
		if b != nil {
			return b
		}
	case <-ctx.Done():
		return nil
	}
	select { // batches is closed: a spare part may have come meanwhile
	case b := <-spare:
		return b
	default:
		return nil
	}
}

// embed fills vecs or errs for every text. It returns an error only when the
// whole run must stop (fatal error or cancellation).
//
// A failure is first put down to the host or to the texts (see hosts). One
// put down to the host sends the texts again, to another host or once this
// one is back, and costs them nothing. One put down to the texts is
// retried, then the batch is split in halves, and a text that still fails
// alone is failed. held says that the caller holds a permit of host hi,
// which the first request uses.
func (r *run) embed(ctx context.Context, hi int, held bool, texts []string, vecs [][]float32, errs []error) error {
	busy := 0  // answers that said "server busy": they retry longer and faster
	tries := 0 // failures put down to these texts
	for attempt := 0; ; attempt++ {
		h, err := r.hosts.pick(ctx, hi+attempt) // a retry goes to the next host
		if held && (err != nil || h != hi) {
			r.limits[hi].Release(sample{Outcome: signalDropped})
			held = false
		}
		if err != nil {
			return err
		}
		sent := time.Now()
		emb, err := r.request(ctx, hi, h, held, texts)
		held = false
		if err == errHostBack {
			attempt = -1 // back to the own host
			continue
		}
		if err == nil {
			err = r.validate(texts, emb, vecs, errs)
			if err == nil {
				r.hosts.ok(h)
				return r.checkCut(ctx, hi, texts, emb.PromptTokens, vecs, errs)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.refused(h, err); err != nil {
			return err
		}
		if isBusy(err) && busy < r.cfg.Retries*20 {
			// Backpressure, not failure: the server asks us to wait.
			busy++
			r.retry(h)
			if !sleep(ctx, r.cfg.BusyBackoff.Delay(min(busy, 6), salvo.RetryAfter(err))) {
				return ctx.Err()
			}
			continue
		}
		if !r.hosts.failed(h, err, sent) {
			r.retry(h)
			continue // the host is down: another one, or this one once back, gets the texts
		}
		tries++
		switch {
		case salvo.Retryable(err): // 502, 504, a timeout, a dropped connection
			if tries <= r.cfg.Retries {
				r.retry(h)
				if !sleep(ctx, r.cfg.Backoff.Delay(tries-1, salvo.RetryAfter(err))) {
					return ctx.Err()
				}
				continue
			}
			// Still failing while the host answers others: smaller
			// requests may pass (a proxy's limit, a slow model).
		case errors.Is(err, salvo.ErrInvalidResponse):
			// A malformed answer (cut short, garbled, vectors missing or of
			// the wrong size) is far more often a fault of the transport or
			// the server than of an input: send it again, and split only
			// when it repeats; a text alone is failed only when it repeats
			// --retries times.
			if tries < 2 || len(texts) == 1 && tries <= r.cfg.Retries {
				r.retry(h)
				continue
			}
		case salvo.Splittable(err):
			// Ollama fails a whole batch for one bad input (400, 500). A
			// 500 may also be a hiccup: a text alone is failed only when
			// it repeats --retries times.
			if len(texts) == 1 && isStatus(err, http.StatusInternalServerError) && tries <= r.cfg.Retries {
				r.retry(h)
				continue
			}
		}
		if len(texts) > 1 {
			r.c.Splits.Add(1)
			m := len(texts) / 2
			if err := r.embed(ctx, hi, false, texts[:m], vecs[:m], errs[:m]); err != nil {
				return err
			}
			return r.embed(ctx, hi, false, texts[m:], vecs[m:], errs[m:])
		}
		if len(texts) == 1 && salvo.TooLong(err) && r.cfg.Chunk != 0 {
			ok, rerr := r.recut(ctx, hi, texts[0], vecs, errs)
			if rerr != nil {
				return rerr
			}
			if ok {
				return nil
			}
		}
		failAll(errs, vecs, r.explain(err))
		return nil
	}
}

// refused returns a *FatalError for an answer that is about neither the
// texts nor a passing fault, which every request would meet: the model is
// missing, 401, 403, a 404 that is not about the model…
func (r *run) refused(h int, err error) error {
	var nf *salvo.ModelNotFoundError
	switch {
	case errors.As(err, &nf):
		return &FatalError{err}
	case isBusy(err), salvo.Retryable(err), salvo.Splittable(err), errors.Is(err, salvo.ErrInvalidResponse), errors.Is(err, context.Canceled):
		return nil
	}
	return &FatalError{fmt.Errorf("%s refuses the requests: %w", r.cfg.Hosts[h].Name, err)}
}

// explain adds the facts to an error that fails records: the model's
// context for a text too long.
func (r *run) explain(err error) error {
	if r.cfg.ContextTokens > 0 && salvo.TooLong(err) {
		return &TooLongError{Err: err, ContextTokens: r.cfg.ContextTokens, Truncate: r.cfg.Key.Truncate}
	}
	return err
}

func isBusy(err error) bool {
	return isStatus(err, http.StatusServiceUnavailable) || isStatus(err, http.StatusTooManyRequests)
}

func isStatus(err error, code int) bool {
	var se *salvo.StatusError
	return errors.As(err, &se) && se.StatusCode == code
}

func failAll(errs []error, vecs [][]float32, err error) {
	for i := range errs {
		if vecs[i] == nil && errs[i] == nil {
			errs[i] = err
		}
	}
}

// errHostBack says that a worker waiting for a slot of another host gave
// up the wait because its own host is back.
var errHostBack = errors.New("own host back")

// request sends one batch to host h, holding one of its slots: the one the
// caller holds when held (h is then own), or one it waits for. A worker of
// host own that waits for a slot of another host (own is down) stops
// waiting when own comes back, with errHostBack.
func (r *run) request(ctx context.Context, own, h int, held bool, texts []string) (*salvo.Embedding, error) {
	lim := r.limits[h]
	if !held {
		actx := ctx
		if h != own {
			var cancel context.CancelFunc
			actx, cancel = r.hosts.untilUp(ctx, own)
			defer cancel()
		}
		if err := lim.Acquire(actx); err != nil {
			if ctx.Err() == nil {
				return nil, errHostBack
			}
			return nil, err
		}
	}
	if r.limiter != nil {
		if err := r.limiter.WaitN(ctx, len(texts)); err != nil {
			lim.Release(sample{Outcome: signalDropped})
			return nil, err
		}
	}
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	start := time.Now()
	hs := &r.stats[h]
	hs.first.CompareAndSwap(0, start.UnixNano())
	hs.requests.Add(1)
	r.c.Requests.Add(1)
	r.c.Inputs.Add(int64(len(texts)))
	r.c.InFlight.Add(1)
	emb, err := r.cfg.Hosts[h].Embedder.Embed(rctx, texts)
	elapsed := time.Since(start)
	r.c.InFlight.Add(-1)
	s := sample{Latency: elapsed, Inputs: len(texts), Outcome: outcomeOf(ctx, err)}
	lim.Release(s)
	r.batchers[h].Observe(s)
	r.lat.add(elapsed)
	hs.lat.add(elapsed)
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			return nil, &TimeoutError{Host: r.cfg.Hosts[h].Name, Timeout: r.cfg.Timeout}
		}
		return nil, err
	}
	hs.embedded.Add(int64(len(emb.Vectors)))
	// Requests that waited for the same cold load all report it: keep the
	// longest per host rather than counting one load many times.
	if d := int64(emb.LoadDuration); d > 0 {
		for m := &r.loads[h]; ; {
			old := m.Load()
			if d <= old || m.CompareAndSwap(old, d) {
				break
			}
		}
	}
	return emb, nil
}

// dimsCheck holds the vector length of the collection. When the
// collection is new it is learnt from the answers. With Config.ModelDims
// known, an answer of that size settles it; answers of another size are
// taken for garbled (and retried) until settleVotes of them in a row agree,
// in case the server's description was wrong. Without ModelDims the first
// answer settles it.
type dimsCheck struct {
	want  atomic.Int64
	mu    sync.Mutex // guards the votes
	other int        // the size answers gave that is not ModelDims
	votes int        // answers in a row of size other
}

// settleVotes is how many answers in a row must agree on a size that is
// not the model's own: a garbled answer is rare, three are not a chance.
const settleVotes = 3

// checkDims checks that an answer's vectors have n dimensions.
func (r *run) checkDims(n int) error {
	if err := r.dims.check(n); err != errDimsUnknown {
		return err
	}
	r.dims.mu.Lock()
	defer r.dims.mu.Unlock()
	if err := r.dims.check(n); err != errDimsUnknown {
		return err
	}
	m := r.cfg.ModelDims
	if m > 0 && n != m {
		if r.dims.other != n {
			r.dims.other, r.dims.votes = n, 0
		}
		if r.dims.votes++; r.dims.votes < settleVotes {
			return fmt.Errorf("%w: %d-dimensional vectors where the model has %d", salvo.ErrInvalidResponse, n, m)
		}
	}
	r.dims.want.Store(int64(n))
	return nil
}

var errDimsUnknown = errors.New("vector size not known yet")

func (d *dimsCheck) check(n int) error {
	switch want := d.want.Load(); {
	case want == 0:
		return errDimsUnknown
	case int64(n) != want:
		return &VectorSizeError{Got: n, Want: int(want)}
	}
	return nil
}

// validate checks an answer. An answer with missing vectors or
// vectors of the wrong size is malformed as a whole: the error is returned
// and the request retried. A NaN or zero vector fails its own text only:
// the model computed it.
func (r *run) validate(texts []string, emb *salvo.Embedding, vecs [][]float32, errs []error) error {
	if len(emb.Vectors) != len(texts) {
		return fmt.Errorf("%w: %d vectors for %d inputs", salvo.ErrInvalidResponse, len(emb.Vectors), len(texts))
	}
	for _, v := range emb.Vectors {
		if len(v) != len(emb.Vectors[0]) {
			return fmt.Errorf("%w: vectors of different sizes in one answer (%d and %d)", salvo.ErrInvalidResponse, len(emb.Vectors[0]), len(v))
		}
	}
	if err := r.checkDims(len(emb.Vectors[0])); err != nil {
		return err
	}
	r.learnRatio(texts, emb.PromptTokens)
	if len(texts) == 1 && r.cfg.ContextTokens > 0 && emb.PromptTokens >= r.cfg.ContextTokens {
		errs[0] = salvo.ErrTruncated // recorded as truncated, stored anyway
	}
	for i, v := range emb.Vectors {
		if err := normalize(v); err != nil {
			errs[i] = err
			continue
		}
		vecs[i] = v
	}
	return nil
}

// normalize checks v and scales it to unit length in place. Ollama's
// /api/embed and /v1/embeddings answer unit vectors already; the legacy
// /api/embeddings does not for some models. Storing unit vectors makes every
// endpoint agree and lets search use a plain dot product.
func normalize(v []float32) error {
	if nearUnit(v) {
		return nil // what follows would leave v as it is
	}
	var norm float64
	for _, x := range v {
		f := float64(x)
		norm += f * f
	}
	// The square of a finite float32 is below 1.2e77, so a sum of them
	// stays finite in a float64; a NaN or an Inf among them makes it NaN
	// or Inf.
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return fmt.Errorf("%w: the vector contains NaN or Inf", salvo.ErrInvalidResponse)
	}
	if norm == 0 {
		return fmt.Errorf("%w: the vector is all zeros", salvo.ErrInvalidResponse)
	}
	if math.Abs(norm-1) > 1e-6 {
		inv := 1 / math.Sqrt(norm)
		for i := range v {
			v[i] = float32(float64(v[i]) * inv)
		}
	}
	return nil
}

// nearUnit reports whether v's sum of squares is finite and clearly within
// normalize's 1e-6 of 1, so that normalize leaves v unchanged: the servers'
// usual answer. It sums in four independent parts, four times as fast as
// normalize's one chain of additions, and so rounds differently; but for
// up to 65,536 squares (none negative) summing to about 1, both sums are
// within 1e-11 of the exact one, far inside the 1e-9 kept from the
// threshold. A NaN or an Inf
// makes the sum NaN or Inf, which fails the test: normalize then decides.
func nearUnit(v []float32) bool {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		a, b, c, d := float64(v[i]), float64(v[i+1]), float64(v[i+2]), float64(v[i+3])
		s0, s1, s2, s3 = s0+a*a, s1+b*b, s2+c*c, s3+d*d
	}
	for ; i < len(v); i++ {
		f := float64(v[i])
		s0 += f * f
	}
	return len(v) <= 1<<16 && math.Abs(s0+s1+s2+s3-1) <= 1e-6-1e-9
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
