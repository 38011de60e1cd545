package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/salvoembed/salvo"
)

// jsonReader streams the elements of one JSON array, at the top level or at
// a dotted path inside a top-level object.
type jsonReader struct {
	name     string
	lc       *lineCounter
	dec      *json.Decoder
	raw      json.RawMessage
	br       bytes.Reader
	n        int  // elements read
	topLevel bool // the array is the whole document: check for trailing data
	inArray  bool // findArray is done: errors end the reading of records
	done     bool
	proj     *projector // nil: decode every field
}

func newJSON(name string, br *bufio.Reader, path string, proj *projector) (*jsonReader, error) {
	lc := &lineCounter{r: br}
	r := &jsonReader{name: name, lc: lc, dec: json.NewDecoder(lc), proj: proj}
	r.dec.UseNumber()
	if err := r.findArray(path); err != nil {
		return nil, err
	}
	r.inArray = true
	return r, nil
}

// findArray moves the decoder to just after the '[' of the records array.
func (r *jsonReader) findArray(path string) error {
	tok, err := r.dec.Token()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%s: the file is empty; a .json file must hold an array of records", r.name)
		}
		return r.syntaxError(err)
	}
	switch tok {
	case json.Delim('['):
		if path != "" {
			return &PathOnArrayError{File: r.name, Path: path}
		}
		r.topLevel = true
		return nil
	case json.Delim('{'):
		if path == "" {
			return r.noPathError()
		}
		return r.descend(strings.Split(path, "."), 0)
	}
	return fmt.Errorf("%s: the file holds %s, not an array of records", r.name, tokenKind(tok))
}

// descend finds segs[i:] inside the object whose '{' was just read.
func (r *jsonReader) descend(segs []string, i int) error {
	at := strings.Join(segs[:i], ".")
	var keys []string
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return r.syntaxError(err)
		}
		key, _ := tok.(string)
		if key != segs[i] {
			keys = append(keys, key)
			if err := r.skipValue(); err != nil {
				return err
			}
			continue
		}
		here := strings.Join(segs[:i+1], ".")
		tok, err = r.dec.Token()
		if err != nil {
			return r.syntaxError(err)
		}
		switch {
		case i == len(segs)-1 && tok == json.Delim('['):
			return nil
		case i == len(segs)-1:
			return fmt.Errorf("%s: records path %q leads to %s, not an array of records", r.name, here, tokenKind(tok))
		case tok == json.Delim('{'):
			return r.descend(segs, i+1)
		default:
			return fmt.Errorf("%s: records path %q: %q is %s, not an object", r.name, strings.Join(segs, "."), here, tokenKind(tok))
		}
	}
	if _, err := r.dec.Token(); err != nil {
		return r.syntaxError(err)
	}
	where := "the top-level object"
	if at != "" {
		where = fmt.Sprintf("%q", at)
	}
	sort.Strings(keys)
	return fmt.Errorf("%s: records path %q: %s has no key %q (its keys: %s)", r.name, strings.Join(segs, "."), where, segs[i], listOrNone(keys))
}

// noPathError explains a top-level object read without a records path, and
// names the arrays that could be meant.
func (r *jsonReader) noPathError() error {
	var arrays []string
	if err := r.findArrays("", 0, &arrays); err != nil {
		return err
	}
	return &NoRecordsPathError{File: r.name, Arrays: arrays}
}

// findArrays lists the dotted paths of arrays inside the object whose '{'
// was just read, a few levels deep.
func (r *jsonReader) findArrays(prefix string, depth int, out *[]string) error {
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return r.syntaxError(err)
		}
		key, _ := tok.(string)
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		tok, err = r.dec.Token()
		if err != nil {
			return r.syntaxError(err)
		}
		switch tok {
		case json.Delim('['):
			if len(*out) < 10 {
				*out = append(*out, path)
			}
			err = r.skipRest(1)
		case json.Delim('{'):
			if depth < 3 {
				err = r.findArrays(path, depth+1, out)
			} else {
				err = r.skipRest(1)
			}
		}
		if err != nil {
			return err
		}
	}
	_, err := r.dec.Token() // the closing '}'
	if err != nil {
		return r.syntaxError(err)
	}
	return nil
}

// skipValue reads and drops one value token by token, so a huge value that
// is not wanted does not have to fit in memory.
func (r *jsonReader) skipValue() error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.syntaxError(err)
	}
	if tok == json.Delim('[') || tok == json.Delim('{') {
		return r.skipRest(1)
	}
	return nil
}

// skipRest reads tokens until depth open arrays or objects are closed.
func (r *jsonReader) skipRest(depth int) error {
	for depth > 0 {
		tok, err := r.dec.Token()
		if err != nil {
			return r.syntaxError(err)
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

func (r *jsonReader) next() (map[string]any, int, error) {
	return nextDecoded(r)
}

// nextObject returns the text of the next element of the array, an object,
// valid until the following call, and the line it starts on.
func (r *jsonReader) nextObject() ([]byte, int, error) {
	if r.done {
		return nil, 0, io.EOF
	}
	if !r.dec.More() {
		return nil, 0, r.end()
	}
	r.n++
	if err := r.dec.Decode(&r.raw); err != nil {
		r.done = true
		return nil, 0, r.syntaxError(err)
	}
	line := r.lc.lineAt(r.dec.InputOffset() - int64(len(r.raw)))
	if r.raw[0] != '{' {
		return nil, 0, &salvo.RecordError{File: r.name, Line: line, Err: fmt.Errorf("record %d of the array is %s, not an object", r.n, rawKind(r.raw))}
	}
	return r.raw, line, nil
}

// decodeObject decodes an element from nextObject.
func (r *jsonReader) decodeObject(b []byte, line int) (map[string]any, error) {
	if r.proj != nil {
		if fields, ok := r.proj.decode(b); ok {
			return fields, nil
		}
	}
	r.br.Reset(b)
	dec := json.NewDecoder(&r.br)
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		// The outer decoder has validated the element already.
		return nil, &salvo.RecordError{File: r.name, Line: line, Err: fmt.Errorf("invalid JSON: %v", err)}
	}
	if r.proj != nil {
		r.proj.project(fields)
	}
	return fields, nil
}

// end reads the closing ']' and, for a top-level array, checks that nothing
// follows it.
func (r *jsonReader) end() error {
	r.done = true
	tok, err := r.dec.Token()
	if err != nil {
		return r.syntaxError(err)
	}
	if tok != json.Delim(']') {
		return &salvo.RecordError{File: r.name, Line: r.lc.lineAt(r.dec.InputOffset()), Err: fmt.Errorf("invalid JSON: expected ] at the end of the array, found %s", tokenKind(tok))}
	}
	if !r.topLevel {
		return io.EOF
	}
	switch _, err := r.dec.Token(); {
	case err == io.EOF:
		return io.EOF
	case err != nil:
		return r.syntaxError(err)
	}
	return &salvo.RecordError{File: r.name, Line: r.lc.lineAt(r.dec.InputOffset() - 1), Err: errors.New("invalid JSON: unexpected data after the closing ] of the array")}
}

// syntaxError turns a decoder error into a *salvo.RecordError at the point where
// the input broke. The decoder cannot resynchronise after it, so the
// reader stops there. Errors of the input itself are returned as they are.
func (r *jsonReader) syntaxError(err error) error {
	r.done = true
	off := r.dec.InputOffset()
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The scanner counts the offending byte; the decoder's own
		// "expected comma" check points at it.
		off = se.Offset
		if off > 0 && !strings.HasPrefix(se.Error(), "expected comma") {
			off--
		}
		if r.inArray {
			err = fmt.Errorf("invalid JSON: %v; the rest of the file is skipped", err)
		} else {
			err = fmt.Errorf("invalid JSON: %v", err)
		}
	case errors.Is(err, io.ErrUnexpectedEOF), err == io.EOF:
		off = max(r.lc.read-1, 0) // the last line
		err = errors.New("invalid JSON: the file ends inside the array (truncated?)")
	default:
		return err
	}
	return &salvo.RecordError{File: r.name, Line: r.lc.lineAt(off), Err: err}
}

// tokenKind names the JSON type of a decoder token.
func tokenKind(tok json.Token) string {
	switch tok {
	case json.Delim('['):
		return "an array"
	case json.Delim('{'):
		return "an object"
	case json.Delim(']'), json.Delim('}'):
		return fmt.Sprintf("%q", tok)
	}
	return kindOf(tok)
}

// rawKind names the JSON type of a valid raw value from its first byte.
func rawKind(raw []byte) string {
	switch raw[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func listOrNone(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	if len(keys) > 20 {
		return strings.Join(keys[:20], ", ") + ", …"
	}
	return strings.Join(keys, ", ")
}

// lineCounter passes bytes through to the JSON decoder and remembers where
// the newlines are, so that a decoder offset can be turned into a line
// number. It keeps only the newlines the decoder has read ahead of the last
// offset asked about, so memory stays bounded by the decoder's buffer.
type lineCounter struct {
	r     io.Reader
	read  int64   // bytes passed through
	nl    []int64 // offsets of newlines not yet passed by lineAt
	head  int     // nl[:head] are passed
	lines int     // newlines before the last offset asked about
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	b := p[:n]
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		c.nl = append(c.nl, c.read+int64(i+j))
		i += j + 1
	}
	c.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line of the byte at offset off. Offsets must
// not decrease from call to call (a smaller one gets the last answer).
func (c *lineCounter) lineAt(off int64) int {
	for c.head < len(c.nl) && c.nl[c.head] < off {
		c.head++
		c.lines++
	}
	if c.head >= 1024 && c.head*2 >= len(c.nl) {
		c.nl = c.nl[:copy(c.nl, c.nl[c.head:])]
		c.head = 0
	}
	return c.lines + 1
}
