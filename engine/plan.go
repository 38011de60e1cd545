package engine

import (
	"context"
	"errors"
	"iter"

	"github.com/salvoembed/salvo"
)

// Plan is what a run of the same inputs would do, found without sending a
// request or writing anything.
type Plan struct {
	New       int64 `json:"new"`       // IDs the collection does not have
	Changed   int64 `json:"changed"`   // IDs stored with another text or model key
	Unchanged int64 `json:"unchanged"` // IDs stored with this text and model key
	// ToEmbed is the number of distinct texts the run would send.
	ToEmbed    int64 `json:"to_embed"`
	Duplicates int64 `json:"duplicates"` // records whose ID an earlier record of the run has
	Failed     int64 `json:"failed"`     // records that would fail before a request (bad input, duplicate IDs with DuplicateFail)
	// Texts are the first texts the run would send, in input order.
	Texts []PlanText `json:"texts"`
}

// PlanText is a text a run would send, and the first record it is for.
type PlanText struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Plan class of a record.
const (
	planNew = iota + 1
	planChanged
	planUnchanged
)

// MakePlan reads inputs as Run would (cfg.Limit, cfg.OnDuplicate, cfg.Key,
// cfg.Force; cfg.Chunk, cfg.ChunkOverlap and cfg.ContextTokens cut long
// texts into the pieces a run would embed, each a text to send, and a
// record is unchanged when all its pieces are stored) and looks the
// records up in cfg.Store, which it only reads;
// cfg.Hosts are not used. stored says whether an ID is stored in the
// collection, with any text; show is how many texts to keep in Plan.Texts.
// A collection that does not exist yet is planned with a nil cfg.Store:
// every record is new.
func MakePlan(ctx context.Context, cfg Config, inputs iter.Seq[Input], stored func(id string) bool, show int) (*Plan, error) {
	if cfg.Counters == nil {
		cfg.Counters = new(Counters)
	}
	r := newRun(cfg)
	p := &Plan{Texts: []PlanText{}}
	send := map[salvo.Key]bool{}
	var class map[uint64]uint8 // DuplicateLast: the class of each ID's newest record
	if cfg.OnDuplicate == DuplicateLast {
		class = map[uint64]uint8{}
	}
	count := func(c uint8, delta int64) {
		switch c {
		case planNew:
			p.New += delta
		case planChanged:
			p.Changed += delta
		case planUnchanged:
			p.Unchanged += delta
		}
	}
	items := make([]salvo.Item, 0, lookupChunk)
	presence := make([]salvo.Presence, lookupChunk)
	flush := func(cur *chunk) error {
		for _, f := range cur.fails {
			p.Failed++
			var dup *DuplicateError
			if errors.As(f.Err, &dup) {
				p.Duplicates++
			}
		}
		presence = presence[:len(cur.recs)]
		clear(presence)
		if cfg.Store != nil && len(cur.recs) > 0 {
			items = items[:0]
			for _, pd := range cur.recs {
				items = append(items, pd.ref.item(pd.key))
			}
			if err := cfg.Store.Lookup(ctx, cfg.Collection, items, presence); err != nil {
				return err
			}
		}
		whole := true // every piece so far of the record being read is stored
		for i, pd := range cur.recs {
			// A record cut into pieces (its pieces follow each other) is
			// unchanged when every piece is stored; it is counted once,
			// with its last piece.
			if pd.chunk != nil && pd.chunk.Index == 0 {
				whole = true
			}
			whole = whole && presence[i] == salvo.Stored
			if (cfg.Force || presence[i] == salvo.Missing) && !send[pd.key] {
				send[pd.key] = true
				p.ToEmbed++
				if len(p.Texts) < show {
					p.Texts = append(p.Texts, PlanText{ID: pd.id, Text: pd.text})
				}
			}
			if !counts(pd.ref) {
				continue
			}
			c := uint8(planNew)
			switch {
			case whole:
				c = planUnchanged
			case stored != nil && stored(pd.id):
				c = planChanged
			}
			whole = true
			if class != nil {
				h := r.ids.hash(pd.id)
				count(class[h], -1) // an earlier record of the ID is not written
				class[h] = c
			}
			count(c, 1)
		}
		cur.recs, cur.fails = cur.recs[:0], cur.fails[:0]
		return nil
	}
	cur := &chunk{}
	var n int64
	for in := range inputs {
		if err := ctx.Err(); err != nil {
			return p, ErrInterrupted
		}
		n++
		r.take(in, n, cur)
		if len(cur.recs)+len(cur.fails) >= lookupChunk {
			if err := flush(cur); err != nil {
				return p, err
			}
		}
		if cfg.Limit > 0 && n >= int64(cfg.Limit) {
			break
		}
	}
	if err := flush(cur); err != nil {
		return p, err
	}
	p.Duplicates += r.c.Duplicates.Load()
	return p, nil
}
