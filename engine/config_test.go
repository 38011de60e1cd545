package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// Config.Retries means what it says: 0 is no retries (it used to mean 5).
func TestZeroRetriesMeansNone(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	e.srv.HTMLNext(100, 502)
	cfg := e.config()
	cfg.Retries = 0
	cfg.BatchSize = 10
	rep := e.run(cfg, inputs(10))
	if rep.Failed != 10 || rep.Retries != 0 || rep.Requests != 1 {
		t.Fatalf("report %+v; want 10 failed after 1 request and no retry", rep)
	}
}

func TestNegativeRetriesRefused(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	cfg := e.config()
	cfg.Retries = -1
	_, err := engine.Run(context.Background(), cfg, slices.Values(inputs(1)))
	if err == nil || !strings.Contains(err.Error(), "0 for none") {
		t.Fatalf("Run with Retries -1: %v", err)
	}
	if e.srv.Requests() != 0 {
		t.Errorf("%d requests sent", e.srv.Requests())
	}
}
