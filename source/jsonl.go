package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/salvoembed/salvo"
)

// jsonlReader reads one JSON object per line.
type jsonlReader struct {
	name  string
	lines lineReader
	br    bytes.Reader
	proj  *projector // nil: decode every field
}

func newJSONL(name string, br *bufio.Reader, proj *projector) *jsonlReader {
	return &jsonlReader{name: name, lines: lineReader{br: br}, proj: proj}
}

func (r *jsonlReader) next() (map[string]any, int, error) {
	return nextDecoded(r)
}

// nextObject returns the next line that is not blank, valid until the
// following call, and its number.
func (r *jsonlReader) nextObject() ([]byte, int, error) {
	for {
		b, err := r.lines.next()
		if errors.Is(err, errLineTooLong) {
			return nil, 0, &salvo.RecordError{File: r.name, Line: r.lines.line, Err: err}
		}
		if err != nil {
			return nil, 0, err
		}
		if !blank(b) {
			return b, r.lines.line, nil
		}
	}
}

// decodeObject decodes a line from nextObject, or returns the
// *salvo.RecordError that says why it cannot.
func (r *jsonlReader) decodeObject(b []byte, line int) (map[string]any, error) {
	fields, err := r.decode(b)
	if err != nil {
		return nil, &salvo.RecordError{File: r.name, Line: line, Err: err}
	}
	return fields, nil
}

// decode parses one line, which must hold exactly one JSON object.
func (r *jsonlReader) decode(b []byte) (map[string]any, error) {
	if r.proj == nil {
		return r.decodeAll(b)
	}
	if fields, ok := r.proj.decode(b); ok {
		return fields, nil
	}
	// A bad line, or one the projector leaves to encoding/json: the errors
	// are the same as without Options.Fields.
	fields, err := r.decodeAll(b)
	if err != nil {
		return nil, err
	}
	r.proj.project(fields)
	return fields, nil
}

// decodeAll decodes every field of a line with encoding/json.
func (r *jsonlReader) decodeAll(b []byte) (map[string]any, error) {
	r.br.Reset(b)
	dec := json.NewDecoder(&r.br)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonLineError(err)
	}
	fields, ok := v.(map[string]any)
	if !ok {
		if _, isArray := v.([]any); isArray {
			return nil, &NotJSONLError{Array: true}
		}
		return nil, fmt.Errorf("expected a JSON object, got %s", kindOf(v))
	}
	if off := int(dec.InputOffset()); !blank(b[off:]) {
		col := off + 1
		for b[col-1] == ' ' || b[col-1] == '\t' || b[col-1] == '\r' {
			col++
		}
		return nil, fmt.Errorf("invalid JSON: unexpected data after the object at column %d (JSONL holds one object per line)", col)
	}
	return fields, nil
}

func jsonLineError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at column %d: %v", se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &NotJSONLError{}
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// kindOf names the JSON type of a decoded value for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
