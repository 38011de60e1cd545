package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

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
