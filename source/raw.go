package source

import (
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/jsonscan"
)

// RawRecord is a record read by [Reader.NextRaw]: its ID and place, and the
// values of the fields of [Options.Fields] as the JSON text they are written
// in, checked but not decoded. It is valid until the next call of a method
// of the Reader.
type RawRecord struct {
	ID     string
	Source string
	Line   int

	text bool // the values are in vals; else rec holds the record
	rec  *salvo.Record
	obj  []byte   // the object's text
	vals [][]byte // the values of proj.names
	r    *Reader
}

// objectFormat is a format whose records are JSON objects, whose text it
// hands over before decoding them.
type objectFormat interface {
	// nextObject returns the text of the next record, valid until the
	// next call, and its line; errors are those of next.
	nextObject() (obj []byte, line int, err error)
	// decodeObject decodes the text of a record as next does.
	decodeObject(obj []byte, line int) (map[string]any, error)
}

// nextDecoded is the next method of an objectFormat: the next record's
// text, decoded.
func nextDecoded(of objectFormat) (map[string]any, int, error) {
	b, line, err := of.nextObject()
	if err != nil {
		return nil, 0, err
	}
	fields, err := of.decodeObject(b, line)
	if err != nil {
		return nil, 0, err
	}
	return fields, line, nil
}

// NextRaw is [Reader.Next] for a caller that uses the values of a few fields
// as JSON text: it returns the same outcomes, and the same records through
// [RawRecord.Record], but for a JSONL or JSON input opened with
// [Options.Fields] it does not decode the values ([RawRecord.JSON] is then
// true), nor build a map of the fields. The record returned is reused by
// the next call.
func (r *Reader) NextRaw() (*RawRecord, error) {
	rr := &r.raw
	*rr = RawRecord{vals: rr.vals[:0], r: r, Source: r.name}
	of, ok := r.f.(objectFormat)
	if !ok || r.proj == nil || r.err != nil {
		rec, err := r.Next()
		if err != nil {
			return nil, err
		}
		rr.ID, rr.Line, rr.rec = rec.ID, rec.Line, rec
		return rr, nil
	}
	obj, line, err := of.nextObject()
	if err != nil {
		return nil, r.failed(err)
	}
	rr.Line, rr.obj = line, obj
	rr.vals = append(rr.vals, make([][]byte, len(r.proj.names))...)
	if !r.proj.values(obj, rr.vals) {
		// Not an object this reader takes apart: decoded as Next does,
		// which gives the record or the error.
		fields, err := of.decodeObject(obj, line)
		if err != nil {
			return nil, err
		}
		rr.rec = &salvo.Record{ID: r.id(fields, line), Source: r.name, Line: line, Fields: fields}
		rr.ID = rr.rec.ID
		return rr, nil
	}
	rr.text = true
	var id any
	switch v := rr.vals[0]; { // the ID field
	case v == nil:
	case v[0] == '-' || '0' <= v[0] && v[0] <= '9': // a number, as written
		rr.ID = string(v)
		return rr, nil
	case v[0] == '"' && len(v) > 2 && jsonscan.Plain(v[1:len(v)-1]):
		rr.ID = string(v[1 : len(v)-1])
		return rr, nil
	default:
		r.proj.sc = *jsonscan.NewScanner(v)
		if id, ok = value(&r.proj.sc, r.proj, 1); !ok {
			// Not reached: values checked it. Decode it all as Next does.
			rec, err := rr.Record()
			if err != nil {
				return nil, err
			}
			rr.text, rr.rec, rr.ID = false, rec, rec.ID
			return rr, nil
		}
	}
	rr.ID = r.idOf(id, line)
	return rr, nil
}

// JSON reports whether [RawRecord.Field] gives the record's values. When it
// is false, the record is in [RawRecord.Record].
func (rr *RawRecord) JSON() bool { return rr.text }

// Field returns the JSON text of the value of name, a field of
// [Options.Fields] or the ID field, as the record writes it (without the
// white space around it); nil when the record does not have the field, or
// when it is not one of those fields, or when [RawRecord.JSON] is false.
func (rr *RawRecord) Field(name string) []byte {
	if !rr.text {
		return nil
	}
	names := rr.r.proj.names
	if len(names) <= 8 {
		for i, n := range names {
			if n == name {
				return rr.vals[i]
			}
		}
		return nil
	}
	if i, ok := rr.r.proj.slot[name]; ok {
		return rr.vals[i]
	}
	return nil
}

// Record returns the record as [Reader.Next] would have returned it. It
// decodes the record's text again, unless [RawRecord.JSON] is false.
func (rr *RawRecord) Record() (*salvo.Record, error) {
	if rr.rec != nil {
		return rr.rec, nil
	}
	fields, err := rr.r.f.(objectFormat).decodeObject(rr.obj, rr.Line)
	if err != nil {
		return nil, err
	}
	return &salvo.Record{ID: rr.ID, Source: rr.Source, Line: rr.Line, Fields: fields}, nil
}
