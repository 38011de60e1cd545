package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// sniffLimit bounds what is read ahead to tell a format: a first line
// longer than this that starts with '{' is taken for JSON.
const sniffLimit = 16 << 20

// NotTextError is an input whose format neither its name nor an explicit
// format gives, and whose first line is not text (a database file, a
// spreadsheet, an image), so that it is none of JSONL, JSON, CSV and TSV.
// If it is one of them after all, [Options.Format] says which.
type NotTextError struct {
	File string // file name as given ("-" for standard input)
	Line int    // 1-based line of the first byte that is not text
	Byte byte   // that byte
}

func (e *NotTextError) Error() string {
	name := e.File
	if name == Stdin {
		name = "standard input"
	}
	return fmt.Sprintf("%s: cannot tell the format: line %d holds the byte 0x%02x, which text does not; salvo reads JSONL, JSON, CSV and TSV (also gzip or zstd compressed)", name, e.Line, e.Byte)
}

// sniff tells the format of the text br holds from its first bytes:
//
//   - the first non-blank byte '{' with a complete object on its line
//     (nothing else on the line but blanks): JSONL;
//   - '[', or '{' otherwise (an object over several lines, or any '{' with
//     a records path): JSON;
//   - anything else: the header row of CSV or TSV, TSV when it holds more
//     tabs than commas (outside quotes).
//
// It reads only as far as it needs (the end of the first line), so a slow
// stream is not waited for. The returned reader gives the same bytes as br
// did.
func sniff(name string, br *bufio.Reader, recordsPath string) (string, *bufio.Reader, error) {
	for {
		n := br.Buffered()
		b, _ := br.Peek(n)
		if form, done, err := sniffBytes(name, b, false, recordsPath); done {
			return form, br, err
		}
		if n >= br.Size() {
			break // the first line is longer than the buffer
		}
		if _, err := br.Peek(n + 1); err != nil {
			b, _ := br.Peek(br.Buffered())
			if !errors.Is(err, io.EOF) {
				return "", br, err
			}
			form, _, err := sniffBytes(name, b, true, recordsPath)
			return form, br, err
		}
	}
	// A long first line: read it into a buffer of its own, and give the
	// bytes back in front of the rest.
	buf := make([]byte, 0, 2*br.Size())
	chunk := make([]byte, br.Size())
	for {
		m, err := br.Read(chunk)
		buf = append(buf, chunk[:m]...)
		end := err != nil || len(buf) >= sniffLimit
		if err != nil && !errors.Is(err, io.EOF) {
			return "", br, err
		}
		if form, done, serr := sniffBytes(name, buf, end, recordsPath); done || end {
			return form, bufio.NewReaderSize(io.MultiReader(bytes.NewReader(buf), br), br.Size()), serr
		}
	}
}

// sniffBytes tells the format from b, the start of the text (all of it when
// end is set). done is false when it needs more bytes.
func sniffBytes(name string, b []byte, end bool, recordsPath string) (form string, done bool, err error) {
	i, line := 0, 1
	for i < len(b) && isBlank(b[i]) {
		if b[i] == '\n' {
			line++
		}
		i++
	}
	if i == len(b) {
		return FormatJSONL, end, nil // blank so far; nothing at all has no records in any format
	}
	switch b[i] {
	case '[':
		return FormatJSON, true, nil
	case '{':
		if recordsPath != "" {
			return FormatJSON, true, nil
		}
		return sniffObjectLine(b[i:], end)
	}
	// A header row: from the start of its line to its end.
	start := bytes.LastIndexByte(b[:i], '\n') + 1
	head := b[start:]
	if nl := bytes.IndexByte(head, '\n'); nl >= 0 {
		head = head[:nl]
	} else if !end {
		return "", false, nil
	}
	tabs, commas, quoted := 0, 0, false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\t':
			tabs++
		case c == ',' && !quoted:
			commas++
		case c < 0x20 && c != '\r' || c == 0x7f:
			return "", true, &NotTextError{File: name, Line: line, Byte: c}
		}
	}
	if tabs > commas {
		return FormatTSV, true, nil
	}
	return FormatCSV, true, nil
}

// sniffObjectLine tells whether b, which starts with '{', holds a whole
// JSON object before its first line end, with only blanks after it: JSONL;
// otherwise JSON. It follows strings and nesting, not the grammar: a broken
// first record is JSONL's to report.
func sniffObjectLine(b []byte, end bool) (string, bool, error) {
	depth, inString, escaped, closed := 0, false, false, false
	for _, c := range b {
		switch {
		case c == '\n':
			if closed {
				return FormatJSONL, true, nil
			}
			return FormatJSON, true, nil // an object over several lines, or a broken string
		case closed:
			if !isBlank(c) {
				return FormatJSON, true, nil // something after the object on its line
			}
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			closed = depth == 0
		}
	}
	if !end {
		return "", false, nil
	}
	if closed {
		return FormatJSONL, true, nil
	}
	return FormatJSON, true, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
