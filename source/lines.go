package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes is the longest line that JSONL and TSV readers accept. A
// longer line is reported as a bad record and skipped; it protects memory
// against, say, a binary file read as JSONL.
const MaxLineBytes = 256 << 20

// lineLimit is MaxLineBytes, lowered by tests.
var lineLimit = MaxLineBytes

// errLineTooLong is returned by lineReader for a line over MaxLineBytes.
var errLineTooLong = fmt.Errorf("line longer than %d MiB, skipped (is this really a text file?)", MaxLineBytes>>20)

// lineReader splits input into lines of up to MaxLineBytes. It exists,
// rather than bufio.Scanner with a large buffer, for what happens past the
// limit: a line that is too long is skipped (reported as errLineTooLong)
// and reading goes on with the next line, where bufio.Scanner stops for
// good at its first over-long token.
type lineReader struct {
	br   *bufio.Reader
	long []byte // holds a line that does not fit br's buffer
	line int    // number of the line last returned
	eof  bool
}

// next returns the next line without its "\n" or "\r\n", valid until the
// following call. It returns io.EOF after the last line, and errLineTooLong
// (with the line counted) for an over-long line.
func (r *lineReader) next() ([]byte, error) {
	if r.eof {
		return nil, io.EOF
	}
	if cap(r.long) > 4<<20 {
		r.long = nil // do not keep a huge buffer for one odd line
	}
	b, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = r.br.ReadSlice('\n')
			if len(r.long)+len(b) > lineLimit {
				return nil, r.skipRest(b, err)
			}
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	switch {
	case err == io.EOF:
		r.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	case err != nil:
		return nil, err
	}
	r.line++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, nil
}

// skipRest discards the rest of an over-long line.
func (r *lineReader) skipRest(b []byte, err error) error {
	r.long = nil
	for errors.Is(err, bufio.ErrBufferFull) {
		b, err = r.br.ReadSlice('\n')
	}
	_ = b
	switch {
	case err == io.EOF:
		r.eof = true
	case err != nil:
		return err
	}
	r.line++
	return errLineTooLong
}

// blank reports whether b holds only JSON white space.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
