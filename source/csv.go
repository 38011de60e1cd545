package source

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/salvoembed/salvo"
)

// csvReader reads RFC 4180 CSV with a header row.
type csvReader struct {
	name   string
	cr     *csv.Reader
	header []string   // nil for an empty file
	proj   *projector // nil: keep every field
}

func newCSV(name string, br *bufio.Reader, proj *projector) (*csvReader, error) {
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	r := &csvReader{name: name, cr: cr, proj: proj}
	head, err := cr.Read()
	switch {
	case err == io.EOF:
		return r, nil
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &salvo.RecordError{File: name, Line: pe.StartLine, Err: fmt.Errorf("reading the header row: %v", csvProblem(pe, 0, 0))}
		}
		return nil, err
	}
	r.header = columnNames(head)
	return r, nil
}

func (r *csvReader) next() (map[string]any, int, error) {
	if r.header == nil {
		return nil, 0, io.EOF
	}
	row, err := r.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, &salvo.RecordError{File: r.name, Line: pe.StartLine, Err: csvProblem(pe, len(row), len(r.header))}
		}
		return nil, 0, err
	}
	line, _ := r.cr.FieldPos(0)
	fields := make(map[string]any, len(r.header))
	for i, h := range r.header {
		fields[h] = r.proj.keep(h, row[i])
	}
	return fields, line, nil
}

// csvProblem rewords encoding/csv's errors for someone fixing the file.
func csvProblem(pe *csv.ParseError, got, want int) error {
	at := fmt.Sprintf("column %d", pe.Column)
	if pe.Line != pe.StartLine {
		at = fmt.Sprintf("line %d, column %d", pe.Line, pe.Column)
	}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount) && got > want:
		return fmt.Errorf("row has %s, the header has %d (an unquoted comma inside a value?)", fieldCount(got), want)
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return fmt.Errorf("row has %s, the header has %d (a missing field, or a line break inside an unquoted value?)", fieldCount(got), want)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Errorf(`bad CSV quoting at %s: a " inside an unquoted field; quote the whole field and double the quote, as in "5"" tall"`, at)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Errorf(`bad CSV quoting at %s: a quoted field is not closed properly; a " inside a quoted field must be doubled ("")`, at)
	}
	return fmt.Errorf("bad CSV at %s: %v", at, pe.Err)
}

// fieldCount says "1 field" or "N fields".
func fieldCount(n int) string {
	if n == 1 {
		return "1 field"
	}
	return strconv.Itoa(n) + " fields"
}

// tsvReader reads tab-separated values with a header row and no quoting.
type tsvReader struct {
	name   string
	lines  lineReader
	header []string   // nil for an empty file
	proj   *projector // nil: keep every field
}

// tsvNull is the null marker of IMDb datasets and database dumps.
const tsvNull = `\N`

func newTSV(name string, br *bufio.Reader, proj *projector) (*tsvReader, error) {
	r := &tsvReader{name: name, lines: lineReader{br: br}, proj: proj}
	for {
		b, err := r.lines.next()
		switch {
		case err == io.EOF:
			return r, nil
		case errors.Is(err, errLineTooLong):
			return nil, &salvo.RecordError{File: name, Line: r.lines.line, Err: fmt.Errorf("reading the header row: %v", err)}
		case err != nil:
			return nil, err
		}
		if len(b) > 0 {
			r.header = columnNames(strings.Split(string(b), "\t"))
			return r, nil
		}
	}
}

func (r *tsvReader) next() (map[string]any, int, error) {
	if r.header == nil {
		return nil, 0, io.EOF
	}
	for {
		b, err := r.lines.next()
		if errors.Is(err, errLineTooLong) {
			return nil, 0, &salvo.RecordError{File: r.name, Line: r.lines.line, Err: err}
		}
		if err != nil {
			return nil, 0, err
		}
		if len(b) == 0 {
			continue
		}
		row := strings.Split(string(b), "\t")
		if len(row) != len(r.header) {
			return nil, 0, &salvo.RecordError{File: r.name, Line: r.lines.line,
				Err: fmt.Errorf("row has %s, the header has %d (a tab inside a value, or a missing field?)", fieldCount(len(row)), len(r.header))}
		}
		fields := make(map[string]any, len(r.header))
		for i, h := range r.header {
			v := row[i]
			if v == tsvNull {
				v = ""
			}
			fields[h] = r.proj.keep(h, v)
		}
		return fields, r.lines.line, nil
	}
}

// columnNames turns a header row into distinct field names: trimmed, an
// empty one named after its position, a repeated one suffixed "_2", "_3".
func columnNames(head []string) []string {
	names := make([]string, len(head))
	seen := make(map[string]bool, len(head))
	for i, h := range head {
		h = strings.TrimSpace(h)
		if h == "" {
			h = "column_" + strconv.Itoa(i+1)
		}
		name := h
		for n := 2; seen[name]; n++ {
			name = h + "_" + strconv.Itoa(n)
		}
		seen[name] = true
		names[i] = name
	}
	return names
}
