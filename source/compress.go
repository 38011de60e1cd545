package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/salvoembed/salvo"
)

// Compression suffixes. A file named "movies.jsonl.gz" is gzip-compressed
// JSONL; its format comes from the name without the suffix.
const (
	suffixGzip = ".gz"
	suffixZstd = ".zst"
)

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// stripCompression returns name without a compression suffix.
func stripCompression(name string) string {
	lower := strings.ToLower(name)
	for _, s := range []string{suffixGzip, suffixZstd} {
		if strings.HasSuffix(lower, s) {
			return name[:len(name)-len(s)]
		}
	}
	return name
}

// decompressed is the decompressed text of a compressed input. It counts
// the newlines it passes, so that an error of the compressed data (a
// truncated file) can name the line of the text where reading stopped.
type decompressed struct {
	r     io.Reader
	close func() // releases the decoder
	lines int    // newlines passed so far
	kind  string // "gzip" or "zstd", for messages
	err   error  // the decoder's first error other than io.EOF
}

func (d *decompressed) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.lines += bytes.Count(p[:n], []byte{'\n'})
	if err != nil && err != io.EOF && d.err == nil {
		d.err = err
	}
	return n, err
}

// decompress wraps br in a decoder when the file name ends in .gz or .zst,
// or when the data starts with gzip's or zstd's magic number (standard
// input, a pipe from zcat's opposite). It returns nil for plain text.
func decompress(name string, br *bufio.Reader) (*decompressed, error) {
	lower := strings.ToLower(name)
	head, _ := br.Peek(len(magicZstd))
	isGzip, isZstd := bytes.HasPrefix(head, magicGzip), bytes.HasPrefix(head, magicZstd)
	switch {
	case strings.HasSuffix(lower, suffixGzip) && !isGzip:
		if len(head) == 0 {
			return nil, fmt.Errorf("%s: the file is empty, so it is not gzip data", name)
		}
		return nil, fmt.Errorf("%s: not gzip data although the name ends in .gz: rename the file, or compress it with gzip", name)
	case strings.HasSuffix(lower, suffixZstd) && !isZstd:
		if len(head) == 0 {
			return nil, fmt.Errorf("%s: the file is empty, so it is not zstd data", name)
		}
		return nil, fmt.Errorf("%s: not zstd data although the name ends in .zst: rename the file, or compress it with zstd", name)
	case isGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, compressedError(name, 1, "gzip", err)
		}
		return &decompressed{r: zr, close: func() { zr.Close() }, kind: "gzip"}, nil
	case isZstd:
		// One goroutine: records are read in order, and the pipeline has
		// other work for the cores. The window cap bounds memory against
		// a hostile file (zstd allows windows of up to 3.75 TB).
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, compressedError(name, 1, "zstd", err)
		}
		return &decompressed{r: zr, close: zr.Close, kind: "zstd"}, nil
	}
	return nil, nil
}

// broken returns a *salvo.RecordError at the line of the text where the compressed
// data broke off, or nil when the decoder met no error.
func (d *decompressed) broken(name string) error {
	if d == nil || d.err == nil {
		return nil
	}
	return compressedError(name, d.lines+1, d.kind, d.err)
}

// compressedError explains an error of compressed data at line.
func compressedError(name string, line int, kind string, err error) *salvo.RecordError {
	var msg error
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = fmt.Errorf("the %s data ends early: the file is truncated (the records before this line were read; compress the whole file again to read the rest)", kind)
	default:
		msg = fmt.Errorf("the %s data is corrupt here (%v): the records before this line were read; compress the whole file again to read the rest", kind, err)
	}
	return &salvo.RecordError{File: name, Line: line, Err: msg}
}
