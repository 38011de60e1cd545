// Package embeddertest is the conformance suite every [salvo.Embedder]
// runs: the behaviour salvo's engine relies on, checked the same way for
// each client.
//
// A client's test calls [Run] with a [Target]: a function that makes a
// client for a model, and the fake server it talks to, if any:
//
//	func TestConformance(t *testing.T) {
//		s := ollamatest.New(ollamatest.Config{Dims: 64})
//		t.Cleanup(s.Close)
//		embeddertest.Run(t, embeddertest.Target{
//			Model:  ollamatest.DefaultModel,
//			Server: s,
//			New: func(t *testing.T, model string) salvo.Embedder {
//				c, err := ollama.New(s.URL(), ollama.Options{Model: model})
//				if err != nil { t.Fatal(err) }
//				return c
//			},
//		})
//	}
//
// What every Embedder must do:
//
//   - one vector per text, in the order of the texts, whatever the server's
//     order; the same text gives the same vector in a batch as alone;
//   - vectors of one size: within an answer, across answers, and the
//     size asked for when the client asks for one ([Target.Dims]);
//   - an empty batch is no error, answers no vectors and sends nothing; an
//     empty text gets a vector, or fails its batch as a bad input would;
//   - errors classified as the engine reads them: a busy or unreachable
//     server, a proxy's 502 and a dropped connection are [salvo.Retryable]
//     (with the server's Retry-After in [salvo.RetryAfter]); a batch that
//     fails for one of its inputs (400, 500) is [salvo.Splittable] and not
//     retryable; an input over the model's context is [salvo.TooLong]; a
//     missing model is a *[salvo.ModelNotFoundError], neither retryable nor
//     splittable, which the engine takes as fatal; so is a 401; an answer that
//     cannot be used (cut short, a vector missing) wraps
//     [salvo.ErrInvalidResponse]; every error answer is a *[salvo.StatusError]
//     carrying the server's message;
//   - a cancelled context ends a call at once, even while the server holds
//     the request, with an error that is [context.Canceled] and not
//     retryable, and closes the request;
//   - an answer larger than its vectors can take is refused
//     ([salvo.ErrInvalidResponse]) rather than read without end, whether
//     its size is announced or not;
//   - safe for concurrent use.
//
// Against a real server (Server nil) the suite checks what needs no
// faults: order, sizes, the empty batch, a missing model, a cancelled
// context, concurrency, and [Target.TooLong] if given.
package embeddertest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/ollamatest"
)

// Target is what the suite runs against.
type Target struct {
	// Model is the embedding model the server serves.
	Model string
	// New returns a client of the server for model; the suite also asks
	// for a model the server does not have. It is called once per subtest,
	// and may register cleanups with t.
	New func(t *testing.T, model string) salvo.Embedder
	// Server is the fake server the client talks to, used to inject faults
	// and count requests; nil for a real server, whose faults are not
	// checked.
	Server *ollamatest.Server
	// ErrorBody returns an error answer's body carrying msg in the shape of
	// the client's API; nil means Ollama's {"error": msg}. See OpenAIError.
	ErrorBody func(msg string) string
	// Dims is the vector size the client asks for, or the model's own;
	// 0 when unknown (then only consistency is checked).
	Dims int
	// TooLong, if not empty, is a text the server refuses as longer than
	// the model's context (an Ollama client with truncation off, say).
	TooLong string
}

// OpenAIError is an ErrorBody in OpenAI's shape.
func OpenAIError(msg string) string {
	return fmt.Sprintf(`{"error":{"message":%q,"type":"invalid_request_error","param":null,"code":null}}`, msg)
}

// Run runs the conformance suite.
func Run(t *testing.T, tg Target) {
	if tg.New == nil || tg.Model == "" {
		t.Fatal("embeddertest: Target needs New and Model")
	}
	if tg.ErrorBody == nil {
		tg.ErrorBody = func(msg string) string { return fmt.Sprintf(`{"error":%q}`, msg) }
	}
	t.Run("Order", func(t *testing.T) { testOrder(t, tg) })
	t.Run("Dims", func(t *testing.T) { testDims(t, tg) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, tg) })
	t.Run("ModelNotFound", func(t *testing.T) { testModelNotFound(t, tg) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, tg) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, tg) })
	t.Run("TooLong", func(t *testing.T) { testTooLong(t, tg) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, tg) })
	t.Run("InvalidAnswers", func(t *testing.T) { testInvalid(t, tg) })
	t.Run("AnswerBound", func(t *testing.T) { testAnswerBound(t, tg) })
}

// Texts are distinct texts of different lengths, for order checks.
var Texts = []string{
	"The Matrix (1999): a hacker learns that the world is a simulation.",
	"Heat",
	"Amélie (2001), a shy waitress in Montmartre decides to change the lives of those around her",
	"A documentary about bees, honey and the people who keep them through a long winter in the mountains.",
	"東京物語",
	"Spirited Away: a girl wanders into a world of spirits and must work in a bathhouse to free her parents.",
}

func embed(t *testing.T, e salvo.Embedder, texts []string) [][]float32 {
	t.Helper()
	emb, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed(%d texts): %v", len(texts), err)
	}
	if emb == nil || len(emb.Vectors) != len(texts) {
		t.Fatalf("Embed(%d texts) answered %v", len(texts), emb)
	}
	return emb.Vectors
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(-1)
	}
	return ollamatest.Cosine(a, b)
}

// requests is the fake server's count of embedding requests, -1 for a
// real server.
func requests(tg Target) int {
	if tg.Server == nil {
		return -1
	}
	return tg.Server.Stats().Requests
}

func testOrder(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	alone := make([][]float32, len(Texts))
	for i, text := range Texts {
		alone[i] = embed(t, e, []string{text})[0]
	}
	// A batch may be computed differently from single texts (padding,
	// another kernel): each vector must be closest to its own text's.
	check := func(name string, order []int) {
		batch := make([]string, len(order))
		for i, k := range order {
			batch[i] = Texts[k]
		}
		got := embed(t, e, batch)
		for i, k := range order {
			own := cosine(got[i], alone[k])
			if own < 0.99 {
				t.Errorf("%s: vector %d (text %d) has cosine %.4f with the text embedded alone", name, i, k, own)
				continue
			}
			for j := range Texts {
				if Texts[j] != Texts[k] && cosine(got[i], alone[j]) > own {
					t.Errorf("%s: vector %d is closer to text %d than to its own text %d", name, i, j, k)
				}
			}
		}
	}
	n := len(Texts)
	fwd, rev := make([]int, n), make([]int, n)
	for i := range n {
		fwd[i], rev[i] = i, n-1-i
	}
	check("in order", fwd)
	check("reversed", rev)
	check("repeated texts", []int{2, 0, 2, 2, 5, 0})
}

func testDims(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	size := tg.Dims
	for _, batch := range [][]string{Texts[:1], Texts, Texts[2:4]} {
		vecs := embed(t, e, batch)
		checkSeparate(t, vecs)
		for i, v := range vecs {
			if size == 0 {
				size = len(v)
			}
			if len(v) == 0 || len(v) != size {
				t.Errorf("batch of %d: vector %d has %d values, want %d", len(batch), i, len(v), size)
			}
			for k, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Errorf("batch of %d: vector %d has %v at %d", len(batch), i, x, k)
					break
				}
			}
		}
	}
}

// checkSeparate checks that appending to one vector changes no other: a
// client that reads an answer into one allocation must cap each vector.
func checkSeparate(t *testing.T, vecs [][]float32) {
	t.Helper()
	saved := make([][]float32, len(vecs))
	for i, v := range vecs {
		saved[i] = slices.Clone(v)
	}
	for i, v := range vecs {
		_ = append(v, 12345)
		for j, w := range vecs {
			if j != i && !slices.Equal(w, saved[j]) {
				t.Fatalf("appending to vector %d changed vector %d", i, j)
			}
		}
	}
}

func testEmpty(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	before := requests(tg)
	for _, texts := range [][]string{nil, {}} {
		emb, err := e.Embed(context.Background(), texts)
		if err != nil || emb == nil || len(emb.Vectors) != 0 {
			t.Errorf("Embed(%#v) = %v, %v; want no vectors and no error", texts, emb, err)
		}
	}
	if after := requests(tg); after != before {
		t.Errorf("an empty batch sent %d requests", after-before)
	}

	// An empty text: a vector like any other, or an error that fails the
	// batch for its inputs (the engine then isolates the empty text), never
	// an empty vector.
	emb, err := e.Embed(context.Background(), []string{Texts[0], ""})
	switch {
	case err != nil:
		if !salvo.Splittable(err) || salvo.Retryable(err) {
			t.Errorf("an empty text: %v is not an error about the inputs (Splittable, not Retryable)", err)
		}
	case len(emb.Vectors) != 2 || len(emb.Vectors[1]) == 0 || len(emb.Vectors[1]) != len(emb.Vectors[0]):
		t.Errorf("an empty text: got %d vectors of sizes %v", len(emb.Vectors), sizes(emb.Vectors))
	}
}

func sizes(vecs [][]float32) []int {
	out := make([]int, len(vecs))
	for i, v := range vecs {
		out[i] = len(v)
	}
	return out
}

func testModelNotFound(t *testing.T, tg Target) {
	const missing = "salvo-no-such-model"
	e := tg.New(t, missing)
	_, err := e.Embed(context.Background(), Texts[:2])
	var nf *salvo.ModelNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("missing model: got %v, want a *salvo.ModelNotFoundError", err)
	}
	if !strings.Contains(nf.Model, missing) || nf.Endpoint == "" {
		t.Errorf("ModelNotFoundError %+v: want the model and the endpoint", nf)
	}
	if salvo.Retryable(err) || salvo.Splittable(err) {
		t.Errorf("missing model: Retryable %v, Splittable %v; want neither (fatal)", salvo.Retryable(err), salvo.Splittable(err))
	}
}

func testConcurrent(t *testing.T, tg Target) {
	e := tg.New(t, tg.Model)
	want := embed(t, e, Texts)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			k := g % len(Texts)
			emb, err := e.Embed(context.Background(), []string{Texts[k]})
			switch {
			case err != nil:
				errs <- err
			case len(emb.Vectors) != 1 || cosine(emb.Vectors[0], want[k]) < 0.99:
				errs <- fmt.Errorf("goroutine %d: not the vector of text %d", g, k)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
