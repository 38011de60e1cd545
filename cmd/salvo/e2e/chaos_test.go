package e2e

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
)

// vegaTemplate makes a text of each record of the Vega movies catalog.
const vegaTemplate = `{{.Title}} ({{index . "Release Date"}}), {{index . "Major Genre"}}, directed by {{.Director}}`

// vegaCatalog copies the 3,201-record catalog where the test may write
// next to it, and returns its path.
func vegaCatalog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "catalogs", "vega-movies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "vega.jsonl")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// texts renders every record of file with tmpl, by record ID, as salvo
// embed does.
func texts(t *testing.T, file, tmpl string) map[string]string {
	t.Helper()
	rd, err := render.New(render.Options{Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	r, err := source.Open(file, source.Options{IDField: "id"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := map[string]string{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if m[rec.ID], err = rd.Render(rec); err != nil {
			t.Fatal(err)
		}
	}
}

// checkStore asserts that db holds every record of want exactly once, each
// with the vector the server computes for its text.
func checkStore(t *testing.T, db string, want map[string]string, model string, dims int) {
	t.Helper()
	got := exported(t, db) // fails on an ID exported twice
	if len(got) != len(want) {
		t.Errorf("%d records stored, want %d", len(got), len(want))
	}
	wrong := 0
	for id, text := range want {
		v, ok := got[id]
		if !ok {
			t.Errorf("record %s not stored", id)
			continue
		}
		if len(v) != dims || ollamatest.Cosine(v, toFloat64(ollamatest.Vector(model, text, dims))) < 0.99999 {
			wrong++
			if wrong <= 3 {
				t.Errorf("record %s: the stored vector (%d values) is not the server's for %q", id, len(v), text)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d wrong vectors stored", wrong)
	}
}

func toFloat64(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// A server that garbles 2% of its answers in each of three ways costs
// retries, never records (batches of 8: some 400 requests, some 24 garbled).
func TestGarbledAnswersAreRetried(t *testing.T) {
	const dims = 64
	srv := ollamatest.New(ollamatest.Config{Dims: dims, Slots: 2})
	defer srv.Close()
	srv.SetChaos(ollamatest.Chaos{Seed: 5, WrongDims: 0.02, WrongCount: 0.02, Truncate: 0.02})
	in := vegaCatalog(t)
	db := filepath.Join(t.TempDir(), "g.db")
	s, _ := embedOK(t, in, "--host", srv.URL(), "--db", db, "--text", vegaTemplate, "--batch-size", "8")
	if s.Failed != 0 || s.Read != 3201 {
		t.Fatalf("summary %+v: want all 3,201 records and no failure", s)
	}
	if n := srv.Stats().Faults; n < 5 {
		t.Fatalf("%d answers garbled: too few to test anything", n)
	}
	checkStore(t, db, texts(t, in, vegaTemplate), ollamatest.DefaultModel, dims)
}

// chaos is the mix of faults of the Chaos suite (docs/RELIABILITY.md).
func chaos(seed uint64) ollamatest.Chaos {
	return ollamatest.Chaos{
		Seed:       seed,
		Fail500:    0.10,
		Drop:       0.05,
		ProxyPage:  0.02,
		WrongDims:  0.02,
		Truncate:   0.01,
		WrongCount: 0.02,
		Slow:       0.01,
		SlowDelay:  time.Minute, // far beyond --timeout
	}
}

// chaosRun embeds the Vega catalog through a server that injects every
// fault of the Chaos suite at once, with a queue of 2, and checks that the
// run exits 0 with every record stored once, each with its right vector.
func chaosRun(t *testing.T, api string, seed uint64) chaosFigures {
	const dims = 64
	srv := ollamatest.New(ollamatest.Config{Dims: dims, Slots: 1, QueueLimit: 2, CostPerInput: 100 * time.Microsecond})
	defer srv.Close()
	srv.SetChaos(chaos(seed))
	in := vegaCatalog(t)
	db := filepath.Join(t.TempDir(), "c.db")
	// Batches of 8: some 400 requests a run, so some 90 faults.
	args := []string{"embed", "--json", in, "--host", srv.URL(), "--api", api, "--db", db, "--text", vegaTemplate, "--timeout", "1s", "--batch-size", "8"}
	if api == "embed" {
		// 6 in flight where 1 is evaluated and 2 may wait: the queue
		// overflows all run long. (The adaptive limit, with /v1, backs off
		// after its first 503s, so those may be few, or none.)
		args = append(args, "--concurrency", "6")
	}
	r := salvo(t, args...)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.err)
	}
	s := r.summary(t)
	if s.Failed != 0 || s.Read != 3201 {
		t.Fatalf("summary %+v", s)
	}
	st := srv.Stats()
	if st.Faults == 0 || api == "embed" && st.Rejected503 == 0 {
		t.Errorf("faults %d, 503s %d: the chaos did not happen", st.Faults, st.Rejected503)
	}
	checkStore(t, db, texts(t, in, vegaTemplate), ollamatest.DefaultModel, dims)
	t.Logf("%s: %d records in %.1fs: %d requests, %d retries, %d splits, %.3f texts sent per record; server: %d faults, %d 503s",
		api, s.Read, r.took.Seconds(), s.Requests, s.Retries, s.Splits, float64(st.Inputs)/float64(s.Read), st.Faults, st.Rejected503)
	return chaosFigures{requests: s.Requests, records: s.Read, sent: st.Inputs, secs: r.took.Seconds()}
}

// chaosFigures is what one chaos run cost.
type chaosFigures struct {
	requests, records, sent int
	secs                    float64
}

var chaosSeeds = flag.Int("chaos.seeds", 1, "seeds the Chaos suite runs, per endpoint (each a full run over the 3,201 records)")

// TestChaos is the Chaos suite. More seeds give figures over more runs:
//
//	go test ./e2e/ -run TestChaos -v -chaos.seeds 10
func TestChaos(t *testing.T) {
	for _, api := range []string{"openai", "embed"} {
		t.Run(api, func(t *testing.T) {
			var sum chaosFigures
			for seed := range uint64(*chaosSeeds) {
				t.Run(fmt.Sprint("seed", seed+1), func(t *testing.T) {
					f := chaosRun(t, api, seed+1)
					sum.requests, sum.records, sum.sent, sum.secs = sum.requests+f.requests, sum.records+f.records, sum.sent+f.sent, sum.secs+f.secs
				})
			}
			n := float64(*chaosSeeds)
			t.Logf("%s, %d runs: %.1f requests per run (%.4f per record), %.3f texts sent per record, %.1fs per run",
				api, *chaosSeeds, float64(sum.requests)/n, float64(sum.requests)/float64(sum.records), float64(sum.sent)/float64(sum.records), sum.secs/n)
		})
	}
}
