package cli

import (
	"cmp"
	"slices"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
)

// Records read as the JSON text of their values (source.Reader.NextRaw):
// after the sample, the text is rendered and the kept fields' object made
// from that text, without decoding the record.

// readsRaw reports whether records are read as the JSON text of their
// values (source.Reader.NextRaw): the renderer renders from it, and every
// field kept is one of those read.
func readsRaw(opts source.Options, rd *render.Renderer, kp keeper) bool {
	if !rd.RendersJSON() || kp.all || opts.Fields == nil {
		return false
	}
	id := cmp.Or(opts.IDField, source.DefaultIDField)
	for _, k := range kp.names {
		if k != id && !slices.Contains(opts.Fields, k) {
			return false
		}
	}
	return true
}

// inputOfRaw is inputOf for a record read as the JSON text of its values:
// its text and kept fields are made from that text where they can be, else
// from the decoded record.
func inputOfRaw(name string, rr *source.RawRecord, rd *render.Renderer, kp keeper) engine.Input {
	if text, ok := rd.RenderJSON(rr.Field); ok {
		if fields, ok := keptRaw(rr, kp.names, kp.all); ok {
			return engine.Input{ID: rr.ID, Where: salvo.Where(rr.Source, rr.Line), Text: text, Fields: fields}
		}
	}
	rec, err := rr.Record()
	return inputOf(name, item{rec: rec, err: err}, rd, kp)
}

// next reads the next record of the input: with raw, as the JSON text of
// its values when the reader can give it so.
func (in *input) next(raw bool) item {
	if !raw {
		rec, err := in.r.Next()
		return item{rec: rec, err: err}
	}
	rr, err := in.r.NextRaw()
	switch {
	case err != nil:
		return item{err: err}
	case rr.JSON():
		return item{raw: rr}
	}
	rec, err := rr.Record()
	return item{rec: rec, err: err}
}
