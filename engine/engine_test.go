package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

func TestRunStoresEverythingOnce(t *testing.T) {
	e := newEnv(t, ollamatest.Config{Slots: 2})
	in := inputs(100)
	rep := e.run(e.config(), in)
	if rep.Read != 100 || rep.Embedded != 100 || rep.Failed != 0 || rep.Cached != 0 {
		t.Fatalf("first run: %+v", rep)
	}
	if want := int64(13); rep.Requests != want { // ceil(100/8)
		t.Errorf("requests = %d, want %d", rep.Requests, want)
	}
	if got := e.srv.Inputs(); got != 100 {
		t.Errorf("server saw %d inputs, want 100", got)
	}
	e.checkStored(in)

	// A second run sends nothing.
	e.srv.Reset()
	rep = e.run(e.config(), in)
	if rep.Cached != 100 || rep.Embedded != 0 || rep.Requests != 0 || e.srv.Requests() != 0 {
		t.Fatalf("re-run: %+v, server requests %d", rep, e.srv.Requests())
	}
}

func TestChangedTextIsReembedded(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(20)
	e.run(e.config(), in)
	e.srv.Reset()
	in[3].Text += " (director's cut)"
	in[17].Text = "something else entirely"
	rep := e.run(e.config(), in)
	if rep.Embedded != 2 || rep.Cached != 18 || e.srv.Inputs() != 2 {
		t.Fatalf("report %+v, server inputs %d; want exactly the 2 changed records embedded", rep, e.srv.Inputs())
	}
	e.checkStored(in)
}

func TestDuplicateTextsCostOneInput(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(30)
	for i := 10; i < 30; i++ {
		in[i].Text = in[i%3].Text // 20 duplicates of 3 texts, within and across batches
	}
	rep := e.run(e.config(), in)
	if got := e.srv.Inputs(); got != 10 {
		t.Errorf("server saw %d inputs, want 10 distinct texts", got)
	}
	if rep.Embedded != 10 || rep.Cached != 20 {
		t.Errorf("report %+v", rep)
	}
	e.checkStored(in)

	// Another collection over the same texts costs nothing either.
	e.srv.Reset()
	if _, err := e.st.OpenCollection(context.Background(), salvo.Collection{Name: "other", Model: model}); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.Collection = "other"
	rep = e.run(cfg, in)
	if e.srv.Requests() != 0 || rep.Cached != 30 {
		t.Errorf("new collection over cached texts: %+v, %d requests", rep, e.srv.Requests())
	}
}

func TestForceReembeds(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(10)
	e.run(e.config(), in)
	e.srv.Reset()
	cfg := e.config()
	cfg.Force = true
	rep := e.run(cfg, in)
	if rep.Embedded != 10 || e.srv.Inputs() != 10 {
		t.Errorf("--force: %+v, %d inputs sent", rep, e.srv.Inputs())
	}
}

func TestReembedRestoresWithoutRequests(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(10)
	e.run(e.config(), in)
	e.srv.Reset()
	cfg := e.config()
	cfg.Reembed = true
	rep := e.run(cfg, in)
	if e.srv.Requests() != 0 || rep.Cached != 10 {
		t.Errorf("--skip-existing=false: %+v, %d requests", rep, e.srv.Requests())
	}
}

func TestLimit(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	cfg := e.config()
	cfg.Limit = 25
	rep := e.run(cfg, inputs(100))
	if rep.Read != 25 || rep.Embedded != 25 || len(e.stored()) != 25 {
		t.Errorf("limit 25: %+v, stored %d", rep, len(e.stored()))
	}
}

func TestInputErrorsAreReportedAndTheRunGoesOn(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(10)
	in[4] = engine.Input{Where: "movies.jsonl:5", Err: errors.New("movies.jsonl:5: invalid JSON")}
	rep := e.run(e.config(), in)
	if rep.Failed != 1 || rep.Embedded != 9 {
		t.Fatalf("report %+v", rep)
	}
	f := e.fails.list()
	if len(f) != 1 || f[0].Where != "movies.jsonl:5" || f[0].Stage != "input" || !strings.Contains(f[0].Error, "invalid JSON") {
		t.Errorf("failures %+v", f)
	}
}

func TestPoisonInputIsIsolated(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(40)
	e.srv.Poison(in[13].Text)
	rep := e.run(e.config(), in)
	if rep.Failed != 1 || rep.Embedded != 39 || rep.Splits == 0 {
		t.Fatalf("report %+v", rep)
	}
	if ids := e.fails.ids(); !slices.Equal(ids, []string{"14"}) {
		t.Errorf("failed %v, want [14]", ids)
	}
	if f := e.fails.list()[0]; f.Where != "movies.jsonl:14" || f.Stage != engine.StageEmbed || !strings.Contains(f.Error, "500") {
		t.Errorf("failure %+v", f)
	}
	e.checkStored(append(slices.Clone(in[:13]), in[14:]...))
}

func TestTransientFaultsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(s *ollamatest.Server)
	}{
		{"503 busy", func(s *ollamatest.Server) {
			s.FailNext(3, 503, `{"error":"server busy, please try again.  maximum pending requests exceeded"}`)
		}},
		{"429 with Retry-After", func(s *ollamatest.Server) { s.FailNextRetryAfter(1, 429, `{"error":"slow down"}`, 0) }},
		{"dropped connection", func(s *ollamatest.Server) { s.DropNext(2) }},
		{"HTML 502 from a proxy", func(s *ollamatest.Server) { s.HTMLNext(2, 502) }},
		{"504", func(s *ollamatest.Server) { s.FailNext(1, 504, "gateway timeout") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, ollamatest.Config{})
			tc.inject(e.srv)
			in := inputs(30)
			rep := e.run(e.config(), in)
			if rep.Failed != 0 || rep.Embedded != 30 || rep.Retries == 0 {
				t.Fatalf("report %+v", rep)
			}
			e.checkStored(in)
		})
	}
}

func TestRetriesExhaustedSplitThenFail(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(12)
	cfg := e.config()
	cfg.Retries = 2
	cfg.BatchSize = 4
	cfg.Hosts[0].Concurrency = 1
	// A gateway that times out on one text while the server answers the
	// others: the batch is retried, then split, and only that text fails.
	cfg.Hosts[0].Embedder = embedFunc(func(ctx context.Context, texts []string) (*salvo.Embedding, error) {
		if slices.Contains(texts, in[6].Text) {
			return nil, &salvo.StatusError{StatusCode: 504, Message: "gateway timeout", Endpoint: "proxy"}
		}
		return e.client.Embed(ctx, texts)
	})
	e.checkIsolated(e.run(cfg, in), in, 6, "504")
}

func TestTimeoutIsRetried(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	release := e.srv.Gate() // the first request waits at the gate until the client gives up
	cfg := e.config()
	cfg.Timeout = 50 * 1e6
	cfg.BatchSize = 5
	cfg.Hosts[0].Concurrency = 1
	done := make(chan *engine.Report)
	go func() { done <- e.run(cfg, inputs(5)) }()
	if err := e.srv.Await(context.Background(), func(s ollamatest.Stats) bool { return s.Canceled >= 1 }); err != nil {
		t.Fatal(err)
	}
	release()
	rep := <-done
	if rep.Failed != 0 || rep.Embedded != 5 || rep.Retries == 0 {
		t.Fatalf("report %+v", rep)
	}
}

func TestBadVectorsFailOnlyTheirRecords(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(20)
	e.srv.ZeroFor(in[2].Text)
	e.srv.NullFor(in[11].Text)
	rep := e.run(e.config(), in)
	if rep.Failed != 2 || rep.Embedded != 18 {
		t.Fatalf("report %+v", rep)
	}
	if ids := e.fails.ids(); !slices.Equal(ids, []string{"12", "3"}) {
		t.Errorf("failed %v", ids)
	}
}

func TestMalformedAnswersAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(s *ollamatest.Server)
	}{
		{"fewer vectors than inputs", func(s *ollamatest.Server) { s.WrongCountNext(1) }},
		{"wrong dimensions", func(s *ollamatest.Server) { s.WrongDimsNext(1) }},
		{"truncated body", func(s *ollamatest.Server) { s.TruncateNext(1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, ollamatest.Config{})
			cfg := e.config()
			cfg.Dims = 768
			cfg.BatchSize = 4
			cfg.Hosts[0].Concurrency = 1
			in := inputs(16)
			e.run(cfg, in[:4]) // the server has answered well before
			tc.inject(e.srv)
			rep := e.run(cfg, in)
			if rep.Failed != 0 || rep.Embedded != 12 || rep.Retries == 0 || rep.Splits != 0 {
				t.Fatalf("report %+v: a malformed answer should be sent again whole", rep)
			}
			e.checkStored(in)
		})
	}
}

func TestRepeatedMalformedAnswersFailOnlyTheirInput(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	in := inputs(16)
	cfg := e.config()
	cfg.Dims = 768
	cfg.BatchSize = 8
	// Every answer for a request holding text 5 has a vector too short.
	cfg.Hosts[0].Embedder = embedFunc(func(ctx context.Context, texts []string) (*salvo.Embedding, error) {
		emb, err := e.client.Embed(ctx, texts)
		if err == nil && slices.Contains(texts, in[4].Text) {
			for i, v := range emb.Vectors {
				emb.Vectors[i] = v[:100]
			}
		}
		return emb, err
	})
	e.checkIsolated(e.run(cfg, in), in, 4, "100-dimensional")
}

func TestModelNotFoundIsFatal(t *testing.T) {
	e := newEnv(t, ollamatest.Config{Models: []string{"other-model"}})
	_, err := engine.Run(context.Background(), e.config(), slices.Values(inputs(50)))
	var fe *engine.FatalError
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &fe) || !errors.As(err, &nf) || !strings.Contains(err.Error(), "ollama pull "+model) {
		t.Fatalf("err = %v, want a fatal model-not-found error with the pull hint", err)
	}
	if n := e.srv.Requests(); n > 3 {
		t.Errorf("%d requests after a 404: the run should stop at once", n)
	}
}

// One slot and a queue of one: with 8 requests in flight the server answers
// 503 "server busy". The gate holds the first requests in their slot until
// a 503 has been seen, so the test always provokes one.
func TestQueueLimitIsAbsorbed(t *testing.T) {
	e := newEnv(t, ollamatest.Config{QueueLimit: 1, CostPerInput: 100_000})
	cfg := e.config()
	cfg.Hosts[0].Concurrency = 8
	cfg.BatchSize = 2
	in := inputs(60)
	release := e.srv.Gate()
	defer release()
	type result struct {
		rep *engine.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := engine.Run(context.Background(), cfg, slices.Values(in))
		done <- result{rep, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.srv.Await(ctx, func(st ollamatest.Stats) bool { return st.Rejected503 > 0 }); err != nil {
		t.Fatalf("no 503 with 8 requests in flight against 1 slot and a queue of 1: %v (%+v)", err, e.srv.Stats())
	}
	release()
	res := <-done
	if res.err != nil {
		t.Fatalf("Run: %v", res.err)
	}
	if rep := res.rep; rep.Failed != 0 || rep.Embedded != 60 {
		t.Fatalf("report %+v", rep)
	}
	e.checkStored(in)
}

func TestSeveralHostsShareTheWorkAndCoverForADeadOne(t *testing.T) {
	a := newEnv(t, ollamatest.Config{})
	b := ollamatest.New(ollamatest.Config{})
	defer b.Close()
	bc := newEnvClient(t, b)
	cfg := a.config()
	cfg.Hosts = append(cfg.Hosts, bcHost(b, bc))
	in := inputs(80)
	rep := a.run(cfg, in)
	if rep.Embedded != 80 || a.srv.Requests() == 0 || b.Requests() == 0 {
		t.Fatalf("report %+v; requests a=%d b=%d: both hosts should work", rep, a.srv.Requests(), b.Requests())
	}

	// b goes down: every batch is retried on a.
	b.SetDown(true)
	in2 := inputs(160)[80:]
	rep = a.run(cfg, in2)
	if rep.Failed != 0 || rep.Embedded != 80 {
		t.Fatalf("with host b down: %+v", rep)
	}
	a.checkStored(inputs(160))
}

func TestCancelKeepsCommittedWork(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	cfg := e.config()
	cfg.Hosts[0].Concurrency = 1
	cfg.Hosts[0].Embedder = embedFunc(func(ctx context.Context, texts []string) (*salvo.Embedding, error) {
		if calls.Add(1) == 4 {
			cancel() // Ctrl-C while the 4th request is in flight
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return e.client.Embed(ctx, texts)
	})
	in := inputs(80)
	rep, err := engine.Run(ctx, cfg, slices.Values(in))
	if !errors.Is(err, engine.ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if rep.Failed != 0 {
		t.Errorf("an interruption is not a failure: %+v", rep)
	}
	stored := len(e.stored())
	if int64(stored) != rep.Embedded || stored != 24 {
		t.Errorf("stored %d, report says %d embedded; want the 3 batches answered before the interruption (24)", stored, rep.Embedded)
	}

	// The next run does only the rest.
	e.srv.Reset()
	rep = e.run(e.config(), in)
	if rep.Embedded != 56 || rep.Cached != 24 || e.srv.Inputs() != 56 {
		t.Errorf("resumed run: %+v, %d inputs sent", rep, e.srv.Inputs())
	}
	e.checkStored(in)
}

type embedFunc func(ctx context.Context, texts []string) (*salvo.Embedding, error)

func (f embedFunc) Embed(ctx context.Context, texts []string) (*salvo.Embedding, error) {
	return f(ctx, texts)
}

func TestAdaptiveDefaults(t *testing.T) {
	e := newEnv(t, ollamatest.Config{Slots: 2, CostPerInput: 200_000})
	cfg := e.config()
	cfg.BatchSize = 0            // auto
	cfg.Hosts[0].Concurrency = 0 // auto
	in := inputs(500)
	rep := e.run(cfg, in)
	if rep.Embedded != 500 || rep.Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
	if st := e.srv.Stats(); st.Rejected503 != 0 || st.MaxInFlight > 32 {
		t.Errorf("server stats %+v", st)
	}
	e.checkStored(in)
}

func TestTailBatchesShrinkWhenTheTotalIsKnown(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	var mu sync.Mutex
	var sizes []int
	cfg := e.config()
	cfg.BatchSize = 0
	cfg.Hosts[0].Concurrency = 2
	cfg.Hosts[0].Embedder = embedFunc(func(ctx context.Context, texts []string) (*salvo.Embedding, error) {
		mu.Lock()
		sizes = append(sizes, len(texts))
		mu.Unlock()
		return e.client.Embed(ctx, texts)
	})
	cfg.Counters = new(engine.Counters)
	cfg.Counters.Total.Store(600)
	rep := e.run(cfg, inputs(600))
	if rep.Embedded != 600 {
		t.Fatalf("report %+v", rep)
	}
	slices.Sort(sizes)
	// Besides the final remainder, no batch is under 8, and several are
	// under the starting size of 32.
	small := 0
	for _, n := range sizes {
		if n < 32 {
			small++
		}
	}
	if sizes[1] < 8 || small < 4 {
		t.Errorf("batch sizes %v: the tail should be cut into smaller batches, no smaller than 8", sizes)
	}
}

func TestRateCapsTextsPerSecond(t *testing.T) {
	e := newEnv(t, ollamatest.Config{})
	cfg := e.config()
	cfg.Rate = 400 // texts per second; the bucket holds one batch of 8
	start := time.Now()
	rep := e.run(cfg, inputs(200))
	elapsed := time.Since(start)
	if rep.Embedded != 200 {
		t.Fatalf("report %+v", rep)
	}
	// A lower bound only: a slow machine makes the run longer, never shorter.
	if min := time.Duration(float64(200-8) / 400 * float64(time.Second)); elapsed < min {
		t.Errorf("200 texts at --rate 400 took %v, want at least %v", elapsed, min)
	}
}

func TestNewCollectionSizeIsNotSetByAGarbledAnswer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		modelDims int
		garbled   int
	}{
		{"the first answers are garbled", 768, 2},
		{"the server's description is wrong", 512, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, ollamatest.Config{})
			e.srv.WrongDimsNext(tc.garbled)
			cfg := e.config()
			cfg.ModelDims = tc.modelDims
			cfg.Hosts[0].Concurrency = 1
			in := inputs(40)
			rep := e.run(cfg, in)
			if rep.Failed != 0 || rep.Embedded != 40 {
				t.Fatalf("report %+v", rep)
			}
			e.checkStored(in)
			if v := e.stored()["1"]; len(v) != 768 {
				t.Errorf("stored %d dimensions, want 768", len(v))
			}
		})
	}
}
