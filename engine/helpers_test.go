package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/sqlite"
)

const model = "nomic-embed-text"

// env is a test server, a client for it and a store in a temp folder.
type env struct {
	t      *testing.T
	srv    *ollamatest.Server
	client *ollama.Client
	st     *sqlite.Store
	fails  *memSink
	coll   string
}

func newEnv(t *testing.T, cfg ollamatest.Config) *env {
	t.Helper()
	srv := ollamatest.New(cfg)
	t.Cleanup(srv.Close)
	c, err := ollama.New(srv.URL(), ollama.Options{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, srv: srv, client: c, st: st, fails: &memSink{}, coll: "movies"}
	if _, err := st.OpenCollection(context.Background(), salvo.Collection{Name: e.coll, Model: model}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) config() engine.Config {
	return engine.Config{
		Hosts:       []engine.Host{{Name: e.srv.URL(), Embedder: e.client, Concurrency: 3}},
		Store:       e.st,
		Collection:  e.coll,
		Key:         salvo.KeySpec{Model: model},
		BatchSize:   8,
		Retries:     engine.DefaultRetries,
		Backoff:     engine.Backoff{Base: time.Millisecond, Max: 4 * time.Millisecond},
		BusyBackoff: engine.Backoff{Base: time.Millisecond, Max: 2 * time.Millisecond},
		Failures:    e.fails,
	}
}

func (e *env) run(cfg engine.Config, in []engine.Input) *engine.Report {
	e.t.Helper()
	rep, err := engine.Run(context.Background(), cfg, slices.Values(in))
	if err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	return rep
}

// stored returns the collection's vectors by ID.
func (e *env) stored() map[string][]float32 {
	e.t.Helper()
	m := map[string][]float32{}
	err := e.st.Each(context.Background(), e.coll, func(id string, v []float32) error {
		m[id] = slices.Clone(v)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// checkStored asserts that exactly the given inputs are stored, each with
// the vector the server computes for its text.
func (e *env) checkStored(in []engine.Input) {
	e.t.Helper()
	got := e.stored()
	if len(got) != len(in) {
		e.t.Errorf("stored %d records, want %d", len(got), len(in))
	}
	for _, x := range in {
		v, ok := got[x.ID]
		if !ok {
			e.t.Errorf("record %s not stored", x.ID)
			continue
		}
		want := ollamatest.Vector(model, x.Text, len(v))
		if cos := ollamatest.Cosine(v, want); cos < 0.99999 {
			e.t.Errorf("record %s: stored vector differs from the server's (cosine %v)", x.ID, cos)
		}
	}
}

// inputs makes n records with distinct texts.
func inputs(n int) []engine.Input {
	in := make([]engine.Input, n)
	for i := range in {
		in[i] = engine.Input{ID: fmt.Sprint(i + 1), Text: fmt.Sprintf("movie %d: a story about the number %d", i+1, i*7), Where: fmt.Sprintf("movies.jsonl:%d", i+1)}
	}
	return in
}

// memSink keeps failures in memory.
type memSink struct {
	mu sync.Mutex
	f  []engine.Failure
}

func (m *memSink) Fail(f engine.Failure) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.f = append(m.f, f)
	return nil
}

func (m *memSink) list() []engine.Failure {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.f)
}

func (m *memSink) ids() []string {
	var ids []string
	for _, f := range m.list() {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

func newEnvClient(t testing.TB, s *ollamatest.Server) *ollama.Client {
	t.Helper()
	c, err := ollama.New(s.URL(), ollama.Options{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bcHost(s *ollamatest.Server, c *ollama.Client) engine.Host {
	return engine.Host{Name: s.URL(), Embedder: c, Concurrency: 3}
}

// checkIsolated asserts that a run split its batches until in[bad] stood
// alone, failed it with an error containing why, and stored all the others.
func (e *env) checkIsolated(rep *engine.Report, in []engine.Input, bad int, why string) {
	e.t.Helper()
	if rep.Failed != 1 || rep.Embedded != int64(len(in)-1) || rep.Splits == 0 {
		e.t.Fatalf("report %+v: want only record %s failed, after splits", rep, in[bad].ID)
	}
	if f := e.fails.list(); f[0].ID != in[bad].ID || !strings.Contains(f[0].Error, why) {
		e.t.Errorf("failure %+v: want record %s, with %q", f[0], in[bad].ID, why)
	}
	e.checkStored(append(slices.Clone(in[:bad]), in[bad+1:]...))
}
