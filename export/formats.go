package export

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/salvoembed/salvo/internal/base/atomicfile"
	"github.com/salvoembed/salvo/internal/base/jsonstr"
)

// valueText is a kept value for a text column: a string as it is,
// anything else (numbers, lists, objects) as JSON, null as "".
func valueText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// appendFloats appends v as a JSON array. NaN and infinities, which a
// valid store never holds, become null: the line stays valid JSON.
func appendFloats(b []byte, v []float32) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return append(b, ']')
}

// appendFields appends the named fields of m as a JSON object; missing ones
// are null.
func appendFields(b []byte, cols []string, m map[string]json.RawMessage) []byte {
	b = append(b, '{')
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.AppendString(b, c)
		b = append(b, ':')
		if v, ok := m[c]; ok && len(v) > 0 {
			b = append(b, v...)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

type jsonlWriter struct {
	w    *bufio.Writer
	cols []string
	buf  []byte
}

func (j *jsonlWriter) row(id string, v []float32, m map[string]json.RawMessage) error {
	j.buf = appendRecord(j.buf[:0], id, v, j.cols, m)
	_, err := j.w.Write(j.buf)
	return err
}

// appendRecord appends one line of the jsonl export:
// {"id":…,"vector":[…]}, with "fields" when cols names any. It is valid
// JSON whatever the ID holds (bytes that are not UTF-8 become U+FFFD, as
// encoding/json writes them) and whatever the vector holds.
func appendRecord(b []byte, id string, v []float32, cols []string, m map[string]json.RawMessage) []byte {
	b = append(b, `{"id":`...)
	b = jsonstr.AppendString(b, id)
	b = append(b, `,"vector":`...)
	b = appendFloats(b, v)
	if len(cols) > 0 {
		b = append(b, `,"fields":`...)
		b = appendFields(b, cols, m)
	}
	return append(b, "}\n"...)
}

func (j *jsonlWriter) close() error { return nil }

// idsWriter writes the IDs one per line: an ID holding a line break would
// read as two, and is an error.
type idsWriter struct {
	w *bufio.Writer
}

func (i *idsWriter) row(id string, _ []float32, _ map[string]json.RawMessage) error {
	if strings.ContainsAny(id, "\r\n") {
		return fmt.Errorf("ID %q holds a line break, which a list of IDs cannot hold: export as jsonl", id)
	}
	i.w.WriteString(id)
	return i.w.WriteByte('\n')
}

func (i *idsWriter) close() error { return nil }

type csvWriter struct {
	w      *csv.Writer
	cols   []string
	record []string
	header bool
	dims   int
}

func newCSVWriter(w *bufio.Writer, cols []string, dims int) *csvWriter {
	return &csvWriter{w: csv.NewWriter(w), cols: cols, dims: dims}
}

func (c *csvWriter) row(id string, v []float32, m map[string]json.RawMessage) error {
	if !c.header {
		c.header = true
		h := append([]string{"id"}, c.cols...)
		for i := range c.dims {
			h = append(h, "v"+strconv.Itoa(i))
		}
		if err := c.w.Write(h); err != nil {
			return err
		}
	}
	c.record = append(c.record[:0], id)
	for _, col := range c.cols {
		c.record = append(c.record, valueText(m[col]))
	}
	for _, x := range v {
		c.record = append(c.record, strconv.FormatFloat(float64(x), 'g', -1, 32))
	}
	return c.w.Write(c.record)
}

func (c *csvWriter) close() error {
	c.w.Flush()
	return c.w.Error()
}

// npyHeaderLen is the size of the .npy header salvo writes: room for any
// row count, so the header can be rewritten in place once the count is
// known.
const npyHeaderLen = 128

type npyWriter struct {
	file       io.WriterAt
	w          *bufio.Writer
	ids        *atomicfile.File
	idw        *bufio.Writer
	fields     *atomicfile.File
	fw         *bufio.Writer
	cols       []string
	dims, rows int
	buf        []byte
}

// npyHeader is the NPY 1.0 header of a little-endian float32 [n, dims]
// matrix, padded with spaces to npyHeaderLen bytes.
func npyHeader(n, dims int) []byte {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, dims)
	h := make([]byte, 0, npyHeaderLen)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, npyHeaderLen-10)
	h = append(h, dict...)
	for len(h) < npyHeaderLen-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// sidePath is PATH with its .npy extension replaced by ext.
func sidePath(path, ext string) string {
	return strings.TrimSuffix(path, ".npy") + ext
}

func newNPYWriter(file io.WriterAt, w *bufio.Writer, path string, cols []string, dims int) (*npyWriter, error) {
	n := &npyWriter{file: file, w: w, cols: cols, dims: dims}
	if _, err := w.Write(npyHeader(0, dims)); err != nil {
		return nil, err
	}
	var err error
	if n.ids, err = atomicfile.Create(sidePath(path, ".ids.txt")); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	n.idw = bufio.NewWriter(n.ids)
	if len(cols) > 0 {
		if n.fields, err = atomicfile.Create(sidePath(path, ".fields.jsonl")); err != nil {
			n.ids.Cleanup()
			return nil, fmt.Errorf("export: %w", err)
		}
		n.fw = bufio.NewWriter(n.fields)
	}
	return n, nil
}

func (n *npyWriter) row(id string, v []float32, m map[string]json.RawMessage) error {
	if strings.ContainsAny(id, "\r\n") {
		return fmt.Errorf("ID %q holds a line break, which .ids.txt cannot hold: export as jsonl or parquet", id)
	}
	if len(v) != n.dims {
		return fmt.Errorf("ID %q: a vector of %d dimensions in a collection of %d", id, len(v), n.dims)
	}
	b := n.buf[:0]
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	n.buf = b
	if _, err := n.w.Write(b); err != nil {
		return err
	}
	n.idw.WriteString(id)
	if c, ok := m["chunk"]; ok && slices.Contains(n.cols, "chunk") {
		n.idw.WriteByte('#') // a piece of a long record: id#chunk
		n.idw.Write(c)
	}
	n.idw.WriteByte('\n')
	if n.fw != nil {
		n.fw.Write(appendFields(nil, n.cols, m))
		n.fw.WriteByte('\n')
	}
	n.rows++
	return nil
}

// close writes the row count into the header and puts the side files in
// place; the matrix itself is put in place by its caller, last.
func (n *npyWriter) close() error {
	if err := n.w.Flush(); err != nil {
		return err
	}
	if _, err := n.file.WriteAt(npyHeader(n.rows, n.dims), 0); err != nil {
		return err
	}
	if err := n.idw.Flush(); err != nil {
		return err
	}
	if n.fw != nil {
		if err := n.fw.Flush(); err != nil {
			return err
		}
	}
	if err := n.ids.Commit(); err != nil {
		return err
	}
	if n.fields != nil {
		return n.fields.Commit()
	}
	return nil
}

// cleanup removes the side files of an export that did not finish.
func (n *npyWriter) cleanup() {
	n.ids.Cleanup()
	if n.fields != nil {
		n.fields.Cleanup()
	}
}

// parquetRowGroup bounds the rows parquet-go buffers before writing a row
// group, so memory stays flat on large collections.
const parquetRowGroup = 16384

type parquetWriter struct {
	w    *parquet.Writer
	typ  reflect.Type
	cols []string
	rows int
}

// newParquetWriter builds the schema from a struct type made at run time:
// id, one optional text column per field, and vector as a LIST of float.
func newParquetWriter(w *bufio.Writer, cols []string) (*parquetWriter, error) {
	fields := []reflect.StructField{{Name: "ID", Type: reflect.TypeFor[string](), Tag: `parquet:"id"`}}
	for i, c := range cols {
		if c == "id" || c == "vector" || c == "" || strings.ContainsAny(c, "\",\\`") {
			return nil, &FieldError{Field: c, Format: Parquet, Why: "id, vector, and names with quotes, commas or backslashes are not"}
		}
		fields = append(fields, reflect.StructField{Name: "F" + strconv.Itoa(i), Type: reflect.TypeFor[*string](), Tag: reflect.StructTag(`parquet:"` + c + `,optional"`)})
	}
	fields = append(fields, reflect.StructField{Name: "Vector", Type: reflect.TypeFor[[]float32](), Tag: `parquet:"vector,list"`})
	typ := reflect.StructOf(fields)
	schema := parquet.SchemaOf(reflect.New(typ).Interface())
	return &parquetWriter{w: parquet.NewWriter(w, schema), typ: typ, cols: cols}, nil
}

func (p *parquetWriter) row(id string, v []float32, m map[string]json.RawMessage) error {
	r := reflect.New(p.typ)
	e := r.Elem()
	e.Field(0).SetString(id)
	for i, c := range p.cols {
		if raw, ok := m[c]; ok && string(raw) != "null" {
			s := valueText(raw)
			e.Field(1 + i).Set(reflect.ValueOf(&s))
		}
	}
	e.Field(len(p.cols) + 1).Set(reflect.ValueOf(v))
	if err := p.w.Write(r.Interface()); err != nil {
		return err
	}
	if p.rows++; p.rows%parquetRowGroup == 0 {
		return p.w.Flush()
	}
	return nil
}

func (p *parquetWriter) close() error { return p.w.Close() }
