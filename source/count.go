package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
)

// Count estimates the number of records in name quickly, for a progress
// total: non-empty lines for JSONL, non-empty lines less the header for CSV
// and TSV (a quoted value spanning lines counts more than once), and the
// elements of the records array for JSON. Compressed files are counted
// through their decoder.
//
// Only a regular file can be read twice: Count returns -1 without reading
// for standard input, a pipe, a FIFO, /dev/stdin or a process substitution
// such as <(zcat movies.jsonl.gz), whose data would otherwise be taken from
// the reader. Errors are those of [Open]; a file that breaks later gets the
// count up to that point.
func Count(name string, opts Options) (int, error) {
	if name == Stdin {
		return -1, nil
	}
	form, err := formatOf(name, opts.Format)
	if err != nil {
		return 0, err
	}
	// Stat, not Open: opening a FIFO and closing it unread could leave its
	// writer without a reader for a moment (SIGPIPE).
	fi, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return -1, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	dec, err := decompress(name, br)
	if err != nil {
		return 0, err
	}
	if dec != nil {
		defer dec.close()
		br = bufio.NewReaderSize(dec, 64<<10)
	}
	skipBOM(br)
	if form == "" {
		if form, br, err = sniff(name, br, opts.RecordsPath); err != nil {
			return 0, err
		}
	}
	switch form {
	case FormatJSON:
		return countJSON(name, br, opts.RecordsPath)
	case FormatCSV, FormatTSV:
		n, err := countLines(br)
		return max(n-1, 0), err
	}
	return countLines(br)
}

// countLines counts lines holding something besides white space. Past a
// line's first byte that is not white space it looks only for the newline,
// with bytes.IndexByte.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n, full := 0, false
	for {
		m, err := r.Read(buf)
		for b := buf[:m]; len(b) > 0; {
			if !full {
				i := 0
				for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
					i++
				}
				if i == len(b) {
					break
				}
				if b[i] == '\n' {
					b = b[i+1:]
					continue
				}
				full, b = true, b[i:]
			}
			j := bytes.IndexByte(b, '\n')
			if j < 0 {
				break
			}
			n++
			full, b = false, b[j+1:]
		}
		if err == io.EOF {
			if full {
				n++
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// countJSON finds the records array as Open does, then counts its elements
// with a byte scanner that only tracks strings and nesting.
func countJSON(name string, br *bufio.Reader, path string) (int, error) {
	lc := &lineCounter{r: br}
	jr := &jsonReader{name: name, lc: lc, dec: json.NewDecoder(lc)}
	if err := jr.findArray(path); err != nil {
		return 0, err
	}
	return countElements(io.MultiReader(jr.dec.Buffered(), lc))
}

// countElements counts the values of an array whose '[' has been read.
func countElements(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	depth, commas := 0, 0
	inString, escaped, seen := false, false, false
	result := func() int {
		if !seen {
			return 0
		}
		return commas + 1
	}
	for {
		m, err := r.Read(buf)
		for _, c := range buf[:m] {
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n':
			case '"':
				inString = true
				seen = true
			case '[', '{':
				depth++
				seen = true
			case ']', '}':
				if depth == 0 {
					return result(), nil
				}
				depth--
			case ',':
				if depth == 0 {
					commas++
				}
			default:
				seen = true
			}
		}
		if err == io.EOF {
			return result(), nil
		}
		if err != nil {
			return result(), err
		}
	}
}
