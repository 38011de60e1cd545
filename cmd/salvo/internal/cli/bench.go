package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/cmd/salvo/internal/bench"
	"github.com/salvoembed/salvo/ollama"
	"github.com/salvoembed/salvo/openai"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
)

const benchHelp = `Usage: salvo bench [flags] FILE

Measures, against the configured host(s) and model, the guide's strategies
and salvo's: sequential (one text per request, one in flight), concurrent
single-text requests at 2/4/8/16 in flight, batched /api/embed at several
batch sizes × in-flight counts, and salvo's adaptive defaults. Each strategy
embeds the same texts (the first --limit distinct texts of FILE) after a
warm-up; a model reload seen during a strategy makes it run again. Prints a
comparison table and the flags to use. Nothing is stored.

Example:
  salvo bench examples/movies.jsonl --text '{{.title}}: {{.summary}}' --limit 100 --quick

Flags:
`

func runBench(ctx context.Context, args []string, stdio Stdio) error {
	var f embedFlags
	fs := newFlagSet("bench", benchHelp, stdio)
	f.registerServer(fs)
	f.registerInput(fs)
	fs.IntVar(&f.limit, "limit", 200, "texts per strategy")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "per-request timeout")
	quick := fs.Bool("quick", false, "measure 4 strategies instead of 15")
	fs.BoolVar(&f.jsonOut, "json", false, "print the results as JSON on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("salvo bench takes one FILE\nRun 'salvo bench --help' for the flags.")
	}
	server := f.server()
	server.concurrency = 1 // checked by connect; strategies choose their own
	texts, err := benchTexts(ctx, fs.Arg(0), &f, stdio)
	if err != nil {
		return err
	}
	_, _, _, endpoint, err := connect(ctx, server, stdio)
	if err != nil {
		return err
	}
	var truncate *bool
	if !server.truncate {
		truncate = new(bool)
	}
	apiKey, err := server.apiKey()
	if err != nil {
		return err
	}
	threads := newHostThreads(server.numThread, server.api) // fleet hosts keep their num_thread: another would reload the model
	cfg := bench.Config{
		Hosts: server.hosts, Model: server.model, Texts: texts, Timeout: f.timeout,
		Embedder: func(host, api string) (salvo.Embedder, error) {
			if api == "openai" {
				return openai.New(host, openai.Options{Model: server.model, Dimensions: server.dimensions, APIKey: apiKey})
			}
			return ollama.New(host, ollama.Options{Model: server.model, API: ollama.API(api), Dimensions: server.dimensions, Truncate: truncate, KeepAlive: server.keepAlive, ModelOptions: threads.options(host)})
		},
		Progress: func(r bench.Result) {
			if !f.jsonOut {
				fmt.Fprintf(stdio.Err, "bench: %-34s %8.1f emb/s\n", r.Name, r.PerSecond)
			}
		},
	}
	strategies := bench.DefaultStrategies()
	if *quick {
		strategies = bench.QuickStrategies()
	}
	for i := range strategies { // salvo's defaults use the endpoint --api auto picks
		if s := &strategies[i]; s.Concurrency == 0 && s.BatchSize == 0 && endpoint == "/v1/embeddings" {
			s.API = "openai"
		}
	}
	fmt.Fprintf(stdio.Err, "bench: %d strategies × %d texts against %v, model %s\n", len(strategies), len(texts), server.hosts, server.model)
	results, err := bench.Run(ctx, cfg, strategies)
	if err != nil {
		return err
	}
	if f.jsonOut {
		return json.NewEncoder(stdio.Out).Encode(struct {
			Results        []bench.Result `json:"results"`
			Recommendation string         `json:"recommendation"`
		}{results, bench.Recommend(results)})
	}
	bench.WriteTable(stdio.Out, results)
	fmt.Fprintln(stdio.Out)
	for _, r := range results {
		if len(r.PerHost) > 1 {
			fmt.Fprintf(stdio.Out, "%s, per host:\n", r.Name)
			printHosts(stdio.Out, "  ", r.PerHost)
		}
	}
	fmt.Fprintln(stdio.Out, "Recommendation:", bench.Recommend(results))
	return nil
}

// benchTexts reads the first f.limit distinct texts of file.
func benchTexts(ctx context.Context, file string, f *embedFlags, stdio Stdio) ([]string, error) {
	rd, err := render.New(render.Options{Template: f.text, Fields: f.fields, Prefix: f.prefix})
	if err != nil {
		return nil, err
	}
	opts := source.Options{Format: f.format, RecordsPath: f.records, IDField: f.idField, Stdin: stdio.In}
	if names, all := rd.Fields(); !all {
		opts.Fields = names
	}
	// The same checks as salvo embed: a mistake about the whole input stops
	// here, before a request.
	ins, smp, err := openInputs(ctx, []string{file}, opts, rd)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	if _, err := smp.check(rd, opts, textFlag(f.fields), false, f.allowConst); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var texts []string
	ins[0].each(opts, false, func(it item) bool {
		if it.rec == nil {
			return true // a bad record: measure with the others
		}
		if t, err := rd.Render(it.rec); err == nil && !seen[t] {
			seen[t] = true
			texts = append(texts, t)
		}
		return len(texts) < f.limit
	})
	if len(texts) == 0 {
		return nil, fmt.Errorf("%s: no texts to measure with", file)
	}
	return texts, nil
}
