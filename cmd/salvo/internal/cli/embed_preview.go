package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollama"
)

// planShow is how many of the texts to send `salvo embed --plan` prints.
const planShow = 10

// planOutput is what `salvo embed --plan --json` prints.
type planOutput struct {
	engine.Plan
	Gone             int64    `json:"gone"` // stored IDs this input lacks: what --prune would delete
	EstimatedSeconds *float64 `json:"estimated_seconds"`
	Collection       string   `json:"collection"`
	Model            string   `json:"model"`
	DB               string   `json:"db"`
	Exists           bool     `json:"collection_exists"`
	// Estimate says where EstimatedSeconds comes from, or why there is none.
	Estimate string `json:"estimate"`
	// Limit is --limit: gone then counts stored IDs past the first Limit
	// records too.
	Limit int `json:"limit,omitempty"`
	// ContextTokens is the model's context the texts were cut by
	// (--chunk), 0 when unknown or not asked for.
	ContextTokens int  `json:"context_tokens,omitempty"`
	chunkAuto     bool // --chunk auto
}

// checkPlan refuses the flags that --plan cannot honour.
func checkPlan(f *embedFlags) error {
	switch {
	case !f.plan:
		return nil
	case f.distributed:
		return usageError("--plan and --distributed: --distributed shares the run through jobs it writes into the database, and --plan writes nothing; drop --distributed to see the plan (it is the same for every process)")
	case f.writeBack != "":
		return usageError("--plan and --write-back: --write-back creates and fills a column of the source table, and --plan writes nothing; drop --write-back to see the plan (the records and texts are the same)")
	}
	return nil
}

// preview prints what `salvo embed` would do with the plan's records
// (--plan): it sends no request and opens the store for reading only (a
// SQLite file that does not exist is not created: every record is new).
func preview(ctx context.Context, p *embedPlan, stdio Stdio) error {
	model := p.server.model
	out := &planOutput{Collection: p.store.collection, Model: model, DB: p.store.db.String(), Limit: p.input.limit}
	cfg := engine.Config{
		Collection:  p.store.collection,
		Key:         salvo.KeySpec{Model: model, Dimensions: p.server.dimensions, Truncate: p.server.truncate},
		Limit:       p.input.limit,
		Force:       p.store.force,
		OnDuplicate: p.input.onDuplicate,
		// Texts are cut as the run would cut them, so that a long record
		// stored in pieces shows as unchanged.
		Chunk:         p.text.chunk,
		ChunkOverlap:  p.text.chunkOverlap,
		ContextTokens: planContext(ctx, p.server, p.text.chunk),
	}
	out.ContextTokens = cfg.ContextTokens
	out.chunkAuto = p.text.chunk == engine.ChunkAuto
	var stored map[string]bool
	st, coll, err := openPlanStore(ctx, p.store.db, p.store.collection)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
		out.DB = st.Path()
	}
	if coll != nil {
		if !salvo.SameModel(coll.Model, model) {
			return &salvo.ModelMismatchError{Collection: coll.Name, Have: coll.Model, Want: model}
		}
		out.Exists = true
		cfg.Store = st
		cfg.Key.Digest = coll.Digest // the digest the stored vectors were made with
		if stored, err = storedIDs(ctx, st, coll.Name); err != nil {
			return err
		}
	}
	plan, err := engine.MakePlan(ctx, cfg, p.input.records, func(id string) bool { return stored[id] }, planShow)
	if err != nil {
		return err
	}
	out.Plan = *plan
	out.Gone = max(0, int64(len(stored))-plan.Changed-plan.Unchanged)
	out.Estimate = "no run of this collection in the ledger: no estimate"
	if st != nil && coll != nil {
		estimate(ctx, st, coll.Name, out)
	}
	if p.output.json {
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdio.Out, string(b))
		return nil
	}
	printPlan(stdio.Out, out)
	return nil
}

// openPlanStore opens the store for reading, and the collection when it
// exists; a store or collection that does not exist is nil, not an error.
func openPlanStore(ctx context.Context, db dbTarget, collection string) (store, *salvo.Collection, error) {
	if !db.isPostgres() {
		if _, err := os.Stat(db.sqlitePath()); errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil
		}
	}
	st, err := db.openReadOnly(ctx)
	var none *salvo.NoSchemaError
	if errors.As(err, &none) {
		return nil, nil, nil // no salvo tables yet: everything is new
	}
	if err != nil {
		return nil, nil, err
	}
	coll, err := salvo.FindCollection(ctx, st, collection)
	switch {
	case errors.Is(err, salvo.ErrNoCollection):
		return st, nil, nil
	case err != nil:
		st.Close()
		return nil, nil, err
	}
	return st, coll, nil
}

// estimate sets the estimate from the collection's last run in the ledger.
func estimate(ctx context.Context, st store, collection string, out *planOutput) {
	runs, err := st.Runs(ctx, collection, 1)
	if err != nil || len(runs) == 0 {
		return
	}
	var stats struct {
		PerSecond float64 `json:"per_second"`
	}
	if json.Unmarshal(runs[0].Stats, &stats) != nil || stats.PerSecond <= 0 || math.IsInf(stats.PerSecond, 0) {
		out.Estimate = "the last run of this collection embedded nothing: no estimate"
		return
	}
	secs := float64(out.ToEmbed) / stats.PerSecond
	out.EstimatedSeconds = &secs
	out.Estimate = fmt.Sprintf("at %.1f embeddings/s, the speed of this collection's last run (%s)", stats.PerSecond, runs[0].Finished.UTC().Format("2006-01-02 15:04"))
}

// printPlan prints the plan for people.
func printPlan(w io.Writer, p *planOutput) {
	where := "collection " + p.Collection
	if !p.Exists {
		where += " (does not exist yet)"
	}
	fmt.Fprintf(w, "plan: %s in %s, nothing sent, nothing written\n", where, p.DB)
	fmt.Fprintf(w, "records: %d new, %d changed, %d unchanged, %d gone (what --prune would delete), %d duplicates, %d failed\n",
		p.New, p.Changed, p.Unchanged, p.Gone, p.Duplicates, p.Failed)
	if p.Limit > 0 {
		fmt.Fprintf(w, "  (--limit %d: only the first %d records were read, so gone counts the stored IDs of the others too)\n", p.Limit, p.Limit)
	}
	if p.chunkAuto && p.ContextTokens == 0 {
		fmt.Fprintln(w, "  (--chunk auto: no server said the model's context, so long texts were planned whole; a run cuts them as the server says)")
	}
	fmt.Fprintf(w, "to embed: %d texts\n", p.ToEmbed)
	for _, t := range p.Texts {
		fmt.Fprintf(w, "  %s\t%s\n", t.ID, oneLine(t.Text, 100))
	}
	if more := p.ToEmbed - int64(len(p.Texts)); more > 0 {
		fmt.Fprintf(w, "  … and %d more\n", more)
	}
	if p.EstimatedSeconds != nil {
		fmt.Fprintf(w, "estimate: %.0f s %s\n", math.Ceil(*p.EstimatedSeconds), p.Estimate)
	} else {
		fmt.Fprintf(w, "estimate: %s\n", p.Estimate)
	}
}

// planContext is the model's context in tokens as the servers report it
// (/api/show, the smallest of them), for --chunk; 0 when chunking is off
// or no server says. It embeds nothing.
func planContext(ctx context.Context, s serverPlan, chunk int) int {
	if chunk == 0 || s.api == "openai" {
		return 0
	}
	model := salvo.CanonicalModel(s.model)
	best := 0
	for _, h := range s.hosts {
		c, err := ollama.New(h, ollama.Options{Model: model, UserAgent: "salvo/" + Version})
		if err != nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, preflightTimeout)
		show, err := c.Show(sctx, model)
		cancel()
		if err != nil {
			continue
		}
		n := show.ContextLength()
		if nc := show.NumCtx(); nc > 0 && (n == 0 || nc < n) {
			n = nc
		}
		if n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	return best
}

// oneLine shows text on one line, cut to n runes.
func oneLine(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return text
}
