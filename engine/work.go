package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/salvoembed/salvo"
)

// work sends batches to host hi until there are none left. A retryable
// failure is sent again, to the next host when there are several.
func (r *run) work(ctx context.Context, hi int, batches <-chan *batch, results chan<- *outcome) error {
	for {
		var b *batch
		select {
		case b = <-batches:
		case <-ctx.Done():
			return nil
		}
		if b == nil {
			return nil
		}
		texts := b.texts()
		vecs := make([][]float32, len(texts))
		errs := make([]error, len(texts))
		if err := r.embed(ctx, hi, texts, vecs, errs); err != nil {
			return err // fatal, or cancelled: the batch is not committed and the next run does it
		}
		select {
		case results <- &outcome{groups: b.groups, vecs: vecs, errs: errs}:
		case <-ctx.Done():
			return nil
		}
	}
}

// embed fills vecs or errs for every text. It returns an error only when the
// whole run must stop (fatal error or cancellation).
func (r *run) embed(ctx context.Context, hi int, texts []string, vecs [][]float32, errs []error) error {
	busy := 0 // answers that said "server busy": they retry longer and faster
	for attempt := 0; ; attempt++ {
		h := (hi + attempt) % len(r.cfg.Hosts)
		emb, err := r.request(ctx, h, texts)
		if err == nil {
			err = r.validate(texts, emb, vecs, errs)
			if err == nil {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var nf *salvo.ModelNotFoundError
		if errors.As(err, &nf) {
			return &FatalError{err}
		}
		if salvo.Retryable(err) {
			var d time.Duration
			var se *salvo.StatusError
			isBusy := errors.As(err, &se) && (se.StatusCode == 503 || se.StatusCode == 429)
			if isBusy && busy < r.cfg.Retries*20 {
				// Backpressure, not failure: the server asks us to wait.
				busy++
				attempt--
				d = r.cfg.BusyBackoff.Delay(min(busy, 6), salvo.RetryAfter(err))
			} else if attempt < r.cfg.Retries {
				d = r.cfg.Backoff.Delay(attempt, salvo.RetryAfter(err))
			} else {
				if isConnError(err) {
					return &FatalError{fmt.Errorf("lost contact with the server after %d retries: %w (records not stored yet are embedded by the next run)", r.cfg.Retries, err)}
				}
				failAll(errs, vecs, err)
				return nil
			}
			r.c.Retries.Add(1)
			if !sleep(ctx, d) {
				return ctx.Err()
			}
			continue
		}
		if salvo.Splittable(err) && len(texts) > 1 {
			// Ollama fails a whole batch for one bad input: split until the
			// bad one stands alone.
			r.c.Splits.Add(1)
			m := len(texts) / 2
			if err := r.embed(ctx, hi, texts[:m], vecs[:m], errs[:m]); err != nil {
				return err
			}
			return r.embed(ctx, hi, texts[m:], vecs[m:], errs[m:])
		}
		if r.cfg.ContextTokens > 0 && strings.Contains(err.Error(), "context length") {
			hint := "shorten the text, or drop --truncate=false to let the server cut it"
			if r.cfg.Key.Truncate { // the endpoint refused although truncation was allowed
				hint = "this endpoint does not truncate: use --api embed, or shorten the text"
			}
			err = fmt.Errorf("%w (the model's context is %d tokens: %s)", err, r.cfg.ContextTokens, hint)
		}
		failAll(errs, vecs, err)
		return nil
	}
}

func failAll(errs []error, vecs [][]float32, err error) {
	for i := range errs {
		if vecs[i] == nil && errs[i] == nil {
			errs[i] = err
		}
	}
}

func isConnError(err error) bool {
	var se *salvo.StatusError
	return !errors.As(err, &se) && !errors.Is(err, context.DeadlineExceeded)
}

// request sends one batch to host h, holding one of its slots.
func (r *run) request(ctx context.Context, h int, texts []string) (*salvo.Embedding, error) {
	if r.limiter != nil {
		if err := r.limiter.WaitN(ctx, len(texts)); err != nil {
			return nil, err
		}
	}
	lim := r.limits[h]
	if err := lim.Acquire(ctx); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	r.c.Requests.Add(1)
	r.c.Inputs.Add(int64(len(texts)))
	r.c.InFlight.Add(1)
	start := time.Now()
	emb, err := r.cfg.Hosts[h].Embedder.Embed(rctx, texts)
	elapsed := time.Since(start)
	r.c.InFlight.Add(-1)
	s := sample{Latency: elapsed, Inputs: len(texts), Outcome: outcomeOf(ctx, err)}
	lim.Release(s)
	r.batcher.Observe(s)
	r.lat.add(elapsed)
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%s: no answer within %v (--timeout): %w", r.cfg.Hosts[h].Name, r.cfg.Timeout, context.DeadlineExceeded)
		}
		return nil, err
	}
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

// dimsCheck holds the vector length of the collection, learnt from the
// first answer when the collection is new.
type dimsCheck struct{ want atomic.Int64 }

func (d *dimsCheck) check(n int) error {
	want := d.want.Load()
	if want == 0 && d.want.CompareAndSwap(0, int64(n)) {
		return nil
	}
	if want = d.want.Load(); int64(n) != want {
		return fmt.Errorf("%w: got a %d-dimensional vector, the collection holds %d dimensions (a different model or --dimensions on this server?)", salvo.ErrInvalidResponse, n, want)
	}
	return nil
}

// validate checks an answer. A wrong vector count fails the request (it is
// split or failed by the caller); a bad vector fails its own text only.
func (r *run) validate(texts []string, emb *salvo.Embedding, vecs [][]float32, errs []error) error {
	if len(emb.Vectors) != len(texts) {
		return fmt.Errorf("%w: %d vectors for %d inputs", salvo.ErrInvalidResponse, len(emb.Vectors), len(texts))
	}
	if len(texts) == 1 && r.cfg.ContextTokens > 0 && emb.PromptTokens >= r.cfg.ContextTokens {
		errs[0] = salvo.ErrTruncated // recorded as truncated, stored anyway
	}
	for i, v := range emb.Vectors {
		if err := r.dims.check(len(v)); err != nil {
			errs[i] = err
			continue
		}
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
	var norm float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: the vector contains NaN or Inf", salvo.ErrInvalidResponse)
		}
		norm += f * f
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
