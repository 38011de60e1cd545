package engine

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
)

// DefaultHostTimeout is how long every host may be down before a run gives
// up (Config.HostTimeout).
const DefaultHostTimeout = 2 * time.Minute

// probeText is what a probe embeds: short, and no one's record.
const probeText = "salvo health check"

// maxProbeDelay caps the backoff between probes of a failed host, so that
// one that is back is used again within seconds.
const maxProbeDelay = 10 * time.Second

// hosts tracks which hosts answer. A failed request says little on its own:
// the input may be at fault (Ollama fails a whole batch for one bad input)
// or the server (a crashed runner answers 500 to everything). hosts tells
// them apart by what the host did just before: a failure right after a
// success blames the inputs, which are then retried, split or failed; a
// failure right after another failure marks the host down. A down host gets
// no requests; its prober sends it a probe with backoff and brings it back
// at the first answer. Texts that were in flight on it go to another host,
// or wait, and are not counted as failures.
//
// Its methods are safe for concurrent use.
type hosts struct {
	names   []string
	timeout time.Duration

	mu           sync.Mutex
	h            []hostState
	changed      chan struct{} // closed and replaced when a host goes up or down
	allDownSince time.Time     // zero while a host is up
}

type hostState struct {
	down    bool
	lastOK  bool      // the last answer that said something about the host was a success
	lastErr error     // the last failure, for messages
	upSince time.Time // when it last came back
}

func newHosts(names []string, timeout time.Duration) *hosts {
	return &hosts{names: names, timeout: timeout, h: make([]hostState, len(names)), changed: make(chan struct{})}
}

// ok records an answer from host i: it is up.
func (hs *hosts) ok(i int) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h := &hs.h[i]
	h.lastOK = true
	if h.down {
		h.down = false
		h.upSince = time.Now()
		hs.allDownSince = time.Time{}
		hs.notifyLocked()
	}
}

// failed records a failure of host i that was neither "busy" nor a
// cancellation, of a request sent at sent, and says whether the inputs are
// to blame: the host's previous answer was a success. Otherwise the host is
// marked down. A request sent before the host last came back tells nothing
// of it now: it is not blamed on the inputs and leaves the host up.
func (hs *hosts) failed(i int, err error, sent time.Time) (blameInputs bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h := &hs.h[i]
	h.lastErr = err
	if sent.Before(h.upSince) {
		return false
	}
	blameInputs, h.lastOK = h.lastOK, false
	if !blameInputs && !h.down {
		h.down = true
		if hs.allDownLocked() {
			hs.allDownSince = time.Now()
		}
		hs.notifyLocked()
	}
	return blameInputs
}

func (hs *hosts) allDownLocked() bool {
	for _, h := range hs.h {
		if !h.down {
			return false
		}
	}
	return true
}

func (hs *hosts) notifyLocked() {
	close(hs.changed)
	hs.changed = make(chan struct{})
}

// isDown reports whether host i is down.
func (hs *hosts) isDown(i int) bool {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.h[i].down
}

// pick returns the first host that is up, starting from host from. When
// every host is down it waits for one to come back; past the host timeout
// it returns a *FatalError with the last failure.
func (hs *hosts) pick(ctx context.Context, from int) (int, error) {
	for {
		hs.mu.Lock()
		n := len(hs.h)
		for k := range n {
			if i := (from + k) % n; !hs.h[i].down {
				hs.mu.Unlock()
				return i, nil
			}
		}
		changed := hs.changed
		wait := hs.timeout - time.Since(hs.allDownSince)
		hs.mu.Unlock()
		if wait <= 0 {
			return 0, hs.gaveUp()
		}
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		}
		t.Stop()
	}
}

// gaveUp is the fatal error when every host has been down too long.
func (hs *hosts) gaveUp() error {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	var errs []error
	for i, h := range hs.h {
		if h.lastErr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", hs.names[i], h.lastErr))
		}
	}
	return &FatalError{&HostsDownError{Hosts: len(hs.h), Timeout: hs.timeout, Last: errs}}
}

// untilUp returns a context that ends with ctx or when host i is up.
func (hs *hosts) untilUp(ctx context.Context, i int) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		if hs.await(ctx, i, false) {
			cancel()
		}
	}()
	return ctx, cancel
}

// await waits until host i is down (or up, with down false); it reports
// false when ctx ends first.
func (hs *hosts) await(ctx context.Context, i int, down bool) bool {
	for {
		hs.mu.Lock()
		is, changed := hs.h[i].down, hs.changed
		hs.mu.Unlock()
		if is == down {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// probe brings host hi back when it answers again: while the host is down
// it sends a one-text request, at once and then with backoff. It returns
// when ctx ends (the run's work is over, or the run stops), or with a
// *FatalError when the server says the model is missing.
func (r *run) probe(ctx context.Context, hi int) error {
	backoff := r.cfg.Backoff
	backoff.Max = min(cmp.Or(backoff.Max, defaultBackoffMax), maxProbeDelay)
	for r.hosts.await(ctx, hi, true) {
		// n counts the failed probes since the host went down.
		for n := 0; r.hosts.isDown(hi); n++ {
			if n > 0 && !sleep(ctx, backoff.Delay(n-1, 0)) {
				return nil
			}
			sent := time.Now()
			pctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
			r.c.Requests.Add(1)
			r.stats[hi].requests.Add(1)
			emb, err := r.cfg.Hosts[hi].Embedder.Embed(pctx, []string{probeText})
			cancel()
			switch {
			case ctx.Err() != nil:
				return nil
			case isBusy(err):
				r.hosts.ok(hi) // alive, busy with requests: backpressure is the workers' business
			case err == nil && len(emb.Vectors) != 1:
				r.hosts.failed(hi, fmt.Errorf("%w: %d vectors for 1 input", salvo.ErrInvalidResponse, len(emb.Vectors)), sent)
			case err == nil:
				if err := r.dims.check(len(emb.Vectors[0])); err != nil && err != errDimsUnknown {
					r.hosts.failed(hi, err, sent) // a server with another model is no use
				} else {
					r.hosts.ok(hi)
				}
			default:
				if err := r.refused(hi, err); err != nil {
					return err
				}
				r.hosts.failed(hi, err, sent)
			}
		}
	}
	return nil
}
