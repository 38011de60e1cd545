package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// waitUntil polls an observable state (a counter, the store) until cond
// holds; it fails the test after a generous deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockFreeSink records failures without a lock: Run must call it from one
// goroutine at a time, which -race checks.
type lockFreeSink struct{ f []engine.Failure }

func (s *lockFreeSink) Fail(f engine.Failure) error { s.f = append(s.f, f); return nil }

// Bad inputs (reported by the reader) and failed embeddings (reported by
// the writer) reach the sink from one goroutine.
func TestFailureSinkIsCalledFromOneGoroutine(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	var in []engine.Input
	for i, x := range inputs(400) {
		switch i % 4 {
		case 0:
			x.Err = errors.New("broken line")
		case 1:
			e.srv.Poison(x.Text)
		}
		in = append(in, x)
	}
	sink := &lockFreeSink{}
	cfg := e.config()
	cfg.Failures = sink
	cfg.BatchSize = 2
	rep := e.run(cfg, in)
	if rep.Failed != 200 || len(sink.f) != 200 || rep.Embedded != 200 {
		t.Fatalf("report %+v, %d failures in the sink; want 200 failed, 200 embedded", rep, len(sink.f))
	}
}

// A second record with an ID already read fails ("duplicate id, first seen
// at FILE:LINE") and the first is stored; first and last keep one.
func TestDuplicateIDs(t *testing.T) {
	in := []engine.Input{
		{ID: "1", Text: "first one", Where: "a.jsonl:1"},
		{ID: "2", Text: "two", Where: "a.jsonl:2"},
		{ID: "1", Text: "second one", Where: "b.jsonl:7"},
		{ID: "1", Text: "third one", Where: "b.jsonl:9"},
	}
	for _, tt := range []struct {
		policy     engine.DuplicatePolicy
		want       string // the text stored under ID 1
		failed     int64
		duplicates int64
	}{
		{engine.DuplicateFail, "first one", 2, 0},
		{engine.DuplicateFirst, "first one", 0, 2},
		{engine.DuplicateLast, "third one", 0, 2},
	} {
		t.Run(fmt.Sprint(tt.policy), func(t *testing.T) {
			e := newEnv(t, ollamatest.Config{})
			cfg := e.config()
			cfg.OnDuplicate = tt.policy
			rep := e.run(cfg, in)
			if rep.Failed != tt.failed || rep.Duplicates != tt.duplicates {
				t.Errorf("report %+v: want %d failed, %d duplicates", rep, tt.failed, tt.duplicates)
			}
			got := e.stored()
			if len(got) != 2 {
				t.Fatalf("stored %d records, want 2", len(got))
			}
			if cos := ollamatest.Cosine(got["1"], ollamatest.Vector(model, tt.want, len(got["1"]))); cos < 0.99999 {
				t.Errorf("ID 1 holds another text than %q (cosine %v)", tt.want, cos)
			}
			if tt.policy == engine.DuplicateFail {
				f := e.fails.list()
				if len(f) != 2 || f[0].Where != "b.jsonl:7" || f[0].Stage != "duplicate" ||
					!strings.Contains(f[0].Error, "duplicate id, first seen at a.jsonl:1") || !strings.Contains(f[1].Error, "first seen at a.jsonl:1") {
					t.Errorf("failures %+v", f)
				}
				var de *engine.DuplicateError
				if len(f) == 2 && (!errors.As(f[1].Err, &de) || de.First != "a.jsonl:1") {
					t.Errorf("failure %+v: want a *DuplicateError naming a.jsonl:1", f[1])
				}
			}
		})
	}
}

// With --on-duplicate last the last record wins even when the request of
// an earlier one answers after it.
func TestDuplicateLastWinsWhateverTheOrder(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	cfg := e.config()
	cfg.OnDuplicate = engine.DuplicateLast
	cfg.BatchSize = 1
	cfg.Hosts[0].Concurrency = 2
	lastDone := make(chan struct{})
	cfg.Hosts[0].Embedder = embedFunc(func(ctx context.Context, texts []string) (*salvo.Embedding, error) {
		if texts[0] == "old text" {
			select { // answer only once the newer record is committed
			case <-lastDone:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return e.client.Embed(ctx, texts)
	})
	counters := new(engine.Counters)
	cfg.Counters = counters
	go func() {
		for counters.Embedded.Load() < 1 {
			time.Sleep(time.Millisecond)
		}
		close(lastDone)
	}()
	rep := e.run(cfg, []engine.Input{{ID: "x", Text: "old text", Where: "f:1"}, {ID: "x", Text: "new text", Where: "f:2"}})
	got := e.stored()["x"]
	if cos := ollamatest.Cosine(got, ollamatest.Vector(model, "new text", len(got))); cos < 0.99999 {
		t.Errorf("the earlier record overwrote the last one (report %+v)", rep)
	}
}

// A slow stream, one record at a time with pauses, is embedded as it
// comes: a partial chunk is flushed after ~100 ms instead of waiting for 256
// records or the end.
func TestSlowStreamIsEmbeddedAsItComes(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	cfg := e.config()
	cfg.Hosts[0].Concurrency = 1
	counters := new(engine.Counters)
	cfg.Counters = counters
	feed := make(chan engine.Input)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := engine.Run(ctx, cfg, func(yield func(engine.Input) bool) {
			for in := range feed {
				if !yield(in) {
					return
				}
			}
		})
		done <- err
	}()
	for i, in := range inputs(3) {
		feed <- in
		waitUntil(t, fmt.Sprintf("record %d stored while the input stays open", i+1), func() bool { return counters.Embedded.Load() == int64(i+1) })
	}
	if n := len(e.stored()); n != 3 {
		t.Errorf("%d records in the store, want 3", n)
	}
	// The input stays open and idle: cancelling still ends the run.
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrInterrupted) {
			t.Errorf("Run = %v, want ErrInterrupted", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after a cancellation while its input was idle")
	}
}

func TestFailureFileKeepsWhatStillFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.failures.jsonl")
	lines := func() []string {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for l := range strings.Lines(string(b)) {
			var f engine.Failure
			if err := jsonUnmarshal(l, &f); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			out = append(out, f.Collection+"/"+f.ID+"@"+f.Where)
		}
		slices.Sort(out)
		return out
	}
	runOnce := func(coll string, fails []engine.Failure, stored [][2]string) {
		ff := &engine.FailureFile{Path: path, Collection: coll}
		for _, f := range fails {
			if err := ff.Fail(f); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range stored {
			ff.Stored(s[0], s[1])
		}
		if err := ff.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fail := func(id, where, stage string) engine.Failure {
		return engine.Failure{ID: id, Where: where, Stage: stage, Error: "x"}
	}
	// Run 1: four failures.
	runOnce("c", []engine.Failure{fail("1", "a:1", "embed"), fail("2", "a:2", "embed"), fail("", "a:3", "input"), fail("4", "a:4", "duplicate")}, nil)
	want := []string{"c/1@a:1", "c/2@a:2", "c/4@a:4", "c/@a:3"}
	if got := lines(); !slices.Equal(got, want) {
		t.Fatalf("after run 1: %v, want %v", got, want)
	}
	// Run 2 (--limit, Ctrl-C): no failure, nothing settled: all kept.
	runOnce("c", nil, nil)
	if got := lines(); !slices.Equal(got, want) {
		t.Fatalf("after a run without failures: %v, want %v", got, want)
	}
	// Run 3: record 1 stored, the bad line 3 fixed and stored as ID 3, ID
	// 4 stored from its first place (its duplicate at a:4 still fails),
	// record 2 fails again. Another collection's failure is added.
	runOnce("c", []engine.Failure{fail("2", "a:2", "embed")}, [][2]string{{"1", "a:1"}, {"3", "a:3"}, {"4", "a:0"}})
	runOnce("d", []engine.Failure{fail("9", "z:1", "embed")}, [][2]string{{"2", "a:2"}})
	want = []string{"c/2@a:2", "c/4@a:4", "d/9@z:1"}
	if got := lines(); !slices.Equal(got, want) {
		t.Fatalf("after run 3: %v, want %v", got, want)
	}
	// A killed run cut its last line: the next run starts a new one.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"7","where":"a:7","sta`)
	f.Close()
	runOnce("c", []engine.Failure{fail("8", "a:8", "embed")}, [][2]string{{"2", "a:2"}})
	want = []string{"c/4@a:4", "c/8@a:8", "d/9@z:1"}
	if got := lines(); !slices.Equal(got, want) {
		t.Fatalf("after a cut line: %v, want %v", got, want)
	}
	// Everything settled: the file goes.
	runOnce("c", nil, [][2]string{{"x", "a:4"}, {"8", "a:8"}})
	runOnce("d", nil, [][2]string{{"9", "z:1"}})
	if got := lines(); got != nil {
		t.Fatalf("after everything was stored: %v, want no file", got)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// FuzzFailureFile reads any earlier failures file (a hand-edited one, one
// cut by a killed run): no panic, and a run's Close leaves only lines that
// are failures, this run's among them.
func FuzzFailureFile(f *testing.F) {
	f.Add([]byte(`{"id":"1","where":"a:1","stage":"embed","error":"x","collection":"c"}`+"\n"+`{"id":"2","wh`), "1", "a:2")
	f.Add([]byte("\n\n{}\nnot json\n"), "", "")
	f.Fuzz(func(t *testing.T, old []byte, storedID, storedWhere string) {
		path := filepath.Join(t.TempDir(), "f.jsonl")
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Fatal(err)
		}
		ff := &engine.FailureFile{Path: path, Collection: "c"}
		ff.Stored(storedID, storedWhere)
		if err := ff.Fail(engine.Failure{ID: "new", Where: "z:9", Stage: engine.StageEmbed, Error: "e"}); err != nil {
			t.Fatal(err)
		}
		if err := ff.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for l := range strings.Lines(string(b)) {
			var fl engine.Failure
			if err := json.Unmarshal([]byte(l), &fl); err != nil || fl.Stage == "" {
				t.Fatalf("line %q left in the failures file: %v", l, err)
			}
			found = found || fl.ID == "new" && fl.Where == "z:9"
		}
		if !found {
			t.Fatalf("this run's failure is missing:\n%s", b)
		}
	})
}
