package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

const crashed = `{"error":"llama runner process has terminated: signal: killed"}`

// A server that answers 500 to everything has failed: its records are not
// bad inputs. The run stops after --host-timeout with the server's words,
// and the records not stored are left for the next run, not failed.
func TestDeadServerIsNotABadInput(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	e.srv.FailNext(1<<30, 500, crashed)
	cfg := e.config()
	cfg.HostTimeout = 300 * time.Millisecond
	cfg.Backoff = engine.Backoff{Base: 20 * time.Millisecond, Max: 40 * time.Millisecond}
	rep, err := engine.Run(context.Background(), cfg, slices.Values(inputs(10000)))
	var fe *engine.FatalError
	var down *engine.HostsDownError
	if !errors.As(err, &fe) || !errors.As(err, &down) || down.Timeout != cfg.HostTimeout || !strings.Contains(err.Error(), "signal: killed") {
		t.Fatalf("err = %v, want a fatal error with the server's message and the host timeout", err)
	}
	if rep.Failed != 0 || len(e.fails.list()) != 0 {
		t.Errorf("%d records failed: a dead server is not a bad input", rep.Failed)
	}
	// 3 requests in flight, then one probe every 10-40 ms for 300 ms.
	if n := e.srv.Requests(); n > 60 {
		t.Errorf("%d requests to a dead server, want a few (the old code split 10,000 records into 19,960)", n)
	}
	if rep.Splits != 0 {
		t.Errorf("%d splits: halves that fail too are not split again", rep.Splits)
	}
}

// A host that fails is probed, and used again once it answers.
func TestFailedHostIsUsedAgainWhenItRecovers(t *testing.T) {
	a := newEnv(t, ollamatest.Config{})
	b := ollamatest.New(ollamatest.Config{})
	defer b.Close()
	cfg := a.config()
	cfg.Hosts = append(cfg.Hosts, bcHost(b, newEnvClient(t, b)))
	b.SetDown(true)
	release := a.srv.Gate() // a holds its requests: the run lasts until b is back
	defer release()
	in := inputs(400)
	done := make(chan *engine.Report)
	go func() { done <- a.run(cfg, in) }()
	ctx := context.Background()
	// Refused connections: the first requests, then probes with backoff.
	if err := b.Await(ctx, func(st ollamatest.Stats) bool { return st.Refused >= 5 }); err != nil {
		t.Fatal(err)
	}
	b.SetDown(false)
	if err := b.Await(ctx, func(st ollamatest.Stats) bool { return st.Embedded >= 100 }); err != nil {
		t.Fatal(err)
	}
	release()
	rep := <-done
	if rep.Failed != 0 || rep.Embedded != 400 {
		t.Fatalf("report %+v", rep)
	}
	a.checkStored(in)
}

// With one host, a run waits for it to come back (within --host-timeout)
// and then finishes: nothing fails, nothing is lost.
func TestRunWaitsForItsOnlyHost(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	e.srv.SetDown(true)
	in := inputs(200)
	done := make(chan *engine.Report)
	go func() { done <- e.run(e.config(), in) }()
	if err := e.srv.Await(context.Background(), func(st ollamatest.Stats) bool { return st.Refused >= 10 }); err != nil {
		t.Fatal(err)
	}
	e.srv.SetDown(false)
	rep := <-done
	if rep.Failed != 0 || rep.Embedded != 200 {
		t.Fatalf("report %+v", rep)
	}
	e.checkStored(in)
}

// A server that refuses every request (a wrong key) stops the run at once:
// waiting or failing records would not help.
func TestRefusingServerIsFatal(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	e.srv.FailNext(1<<30, 401, `{"error":"unauthorized"}`)
	rep, err := engine.Run(context.Background(), e.config(), slices.Values(inputs(1000)))
	var fe *engine.FatalError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "refuses") {
		t.Fatalf("err = %v, want a fatal error naming the 401", err)
	}
	if rep.Failed != 0 || e.srv.Requests() > stopBound {
		t.Errorf("%d failed, %d requests: want none failed and the run stopped at once", rep.Failed, e.srv.Requests())
	}
}

// One of three hosts dies mid-run and comes back: its work is done by the
// others meanwhile, the restarted host takes work again, and every record
// is stored exactly once with its own vector. While it is down the two
// others hold their requests (gates), so the run is still going when it
// returns: no timing decides the outcome.
func TestOneOfThreeHostsDiesAndComesBack(t *testing.T) {
	a := newEnv(t, ollamatest.Config{Slots: 2, CostPerInput: 200 * time.Microsecond})
	b := ollamatest.New(ollamatest.Config{Slots: 2, CostPerInput: 200 * time.Microsecond})
	defer b.Close()
	c := ollamatest.New(ollamatest.Config{Slots: 2, CostPerInput: 200 * time.Microsecond})
	defer c.Close()
	cfg := a.config()
	cfg.Hosts = append(cfg.Hosts, bcHost(b, newEnvClient(t, b)), bcHost(c, newEnvClient(t, c)))
	in := inputs(2000)
	done := make(chan *engine.Report)
	go func() { done <- a.run(cfg, in) }()
	ctx := context.Background()
	if err := c.Await(ctx, func(st ollamatest.Stats) bool { return st.Embedded >= 40 }); err != nil {
		t.Fatal(err)
	}
	releaseA, releaseB := a.srv.Gate(), b.Gate()
	c.SetDown(true) // killed: connections are reset
	if err := c.Await(ctx, func(st ollamatest.Stats) bool { return st.Refused >= 2 }); err != nil {
		t.Fatal(err)
	}
	c.SetDown(false) // restarted on the same address
	back := c.Stats().Embedded
	if err := c.Await(ctx, func(st ollamatest.Stats) bool { return st.Embedded >= back+40 }); err != nil {
		t.Fatal(err)
	}
	releaseA()
	releaseB()
	rep := <-done
	if rep.Failed != 0 || rep.Embedded != int64(len(in)) {
		t.Fatalf("report %+v", rep)
	}
	if a.srv.Stats().Embedded == 0 || b.Stats().Embedded == 0 {
		t.Errorf("every host should have worked: a %d, b %d, c %d texts", a.srv.Stats().Embedded, b.Stats().Embedded, c.Stats().Embedded)
	}
	a.checkStored(in)
}
