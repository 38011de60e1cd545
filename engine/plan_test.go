package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/ollamatest"
)

// MakePlan predicts what Run then does, over more records than one lookup
// takes, and sends nothing.
func TestPlanPredictsTheRun(t *testing.T) {
	e := newEnv(t, ollamatest.Config{Dims: 4})
	first := inputs(600)
	e.run(e.config(), first)

	next := slices.Clone(first[:500]) // 100 gone
	for i := 0; i < 50; i++ {         // 50 changed
		next[i].Text += " (revised)"
	}
	for i := 0; i < 30; i++ { // 30 new, 10 of them with a stored text
		text := fmt.Sprintf("a new movie %d", i)
		if i < 10 {
			text = first[550+i].Text
		}
		next = append(next, engine.Input{ID: fmt.Sprint("new-", i), Text: text, Where: fmt.Sprint("m.jsonl:", 600+i)})
	}
	stored := map[string]bool{}
	for _, in := range first {
		stored[in.ID] = true
	}
	e.srv.Reset()
	p, err := engine.MakePlan(context.Background(), e.config(), slices.Values(next), func(id string) bool { return stored[id] }, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.New != 30 || p.Changed != 50 || p.Unchanged != 450 || p.ToEmbed != 70 || len(p.Texts) != 3 || p.Texts[0].ID != "1" {
		t.Errorf("plan %+v", p)
	}
	if n := e.srv.Requests(); n != 0 {
		t.Errorf("MakePlan sent %d requests", n)
	}
	rep := e.run(e.config(), next)
	if rep.Embedded != p.ToEmbed || rep.Unchanged != p.Unchanged {
		t.Errorf("the run embedded %d and found %d unchanged; the plan said %d and %d", rep.Embedded, rep.Unchanged, p.ToEmbed, p.Unchanged)
	}
}
