// Command vegaconv turns a JSON array of objects, such as the Vega movies
// dataset, into JSON lines and CSV without changing what the values say:
// keys keep their order, numbers keep their spelling (6.10 stays 6.10),
// strings keep their escapes in JSON lines, and null stays null (an empty
// field in CSV).
//
//	go run ./internal/tools/moviegen/cmd/vegaconv -in testdata/catalogs/vega-movies.json \
//	    -jsonl testdata/catalogs/vega-movies.jsonl -csv testdata/catalogs/vega-movies.csv
//
// The CSV header lists every key in the order of its first appearance; a
// record without a key gets an empty field. Nested arrays and objects are
// written as compact JSON text in both outputs.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/salvoembed/salvo/internal/base/atomicfile"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vegaconv:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("vegaconv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "JSON file holding one array of objects")
	jsonlOut := fs.String("jsonl", "", "JSON lines file to write (skipped when empty)")
	csvOut := fs.String("csv", "", "CSV file to write (skipped when empty)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vegaconv -in FILE.json [-jsonl OUT.jsonl] [-csv OUT.csv]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("give the input with -in and nothing else on the command line")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := readArray(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	outputs := []struct {
		path  string
		write func(io.Writer, []record) error
	}{{*jsonlOut, writeJSONL}, {*csvOut, writeCSV}}
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := o.write(&buf, recs); err != nil {
			return fmt.Errorf("converting %s for %s: %w", *in, o.path, err)
		}
		if err := atomicfile.WriteFile(o.path, buf.Bytes()); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "vegaconv: %d records from %s\n", len(recs), *in)
	return nil
}

// field is one key and its value exactly as the source spells it, minus
// insignificant white space inside arrays and objects.
type field struct {
	key string
	raw json.RawMessage
}

type record []field

// readArray reads a JSON array of objects, keeping each object's keys in
// source order, which decoding into a map would lose.
func readArray(r io.Reader) ([]record, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '['); err != nil {
		return nil, fmt.Errorf("the input must be one JSON array of objects: %w", err)
	}
	var recs []record
	for dec.More() {
		rec, err := readObject(dec)
		if err != nil {
			return nil, fmt.Errorf("record %d (near byte %d): %w", len(recs)+1, dec.InputOffset(), err)
		}
		recs = append(recs, rec)
	}
	if err := expectDelim(dec, ']'); err != nil {
		return nil, fmt.Errorf("after record %d: %w", len(recs), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("after the array (near byte %d): unexpected data; the input must hold one array only", dec.InputOffset())
	}
	return recs, nil
}

func readObject(dec *json.Decoder) (record, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("every element must be an object: %w", err)
	}
	var rec record
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // the decoder only yields strings in key position
		if seen[key] {
			return nil, fmt.Errorf("key %q appears twice; CSV cannot hold both values", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		if raw[0] == '[' || raw[0] == '{' {
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				return nil, fmt.Errorf("value of %q: %w", key, err)
			}
			raw = compact.Bytes()
		}
		rec = append(rec, field{key, raw})
	}
	return rec, expectDelim(dec, '}')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err == io.EOF {
		return fmt.Errorf("input ends where %q was expected", want)
	}
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("found %v where %q was expected", tok, want)
	}
	return nil
}

// writeJSONL writes one object per line with the source's values.
func writeJSONL(w io.Writer, recs []record) error {
	bw := bufio.NewWriter(w)
	for _, rec := range recs {
		bw.WriteByte('{')
		for k, f := range rec {
			if k > 0 {
				bw.WriteByte(',')
			}
			key, err := encodeKey(f.key)
			if err != nil {
				return err
			}
			bw.Write(key)
			bw.WriteByte(':')
			bw.Write(f.raw)
		}
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

// encodeKey writes a key without encoding/json's HTML escaping, so that
// keys such as "R&D" read the same in every output.
func encodeKey(k string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(k); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// columns lists every key in the order of its first appearance.
func columns(recs []record) []string {
	var cols []string
	seen := map[string]bool{}
	for _, rec := range recs {
		for _, f := range rec {
			if !seen[f.key] {
				seen[f.key] = true
				cols = append(cols, f.key)
			}
		}
	}
	return cols
}

// writeCSV writes a header and one row per record; encoding/csv quotes
// fields as RFC 4180 says. No records and no keys give an empty file.
func writeCSV(w io.Writer, recs []record) error {
	cols := columns(recs)
	if len(cols) == 0 {
		if len(recs) > 0 {
			return errors.New("no record has a key, and a CSV row needs at least one column")
		}
		return nil
	}
	index := make(map[string]int, len(cols))
	for k, c := range cols {
		index[c] = k
	}
	cw := csv.NewWriter(w)
	if err := writeRow(w, cw, cols); err != nil {
		return err
	}
	row := make([]string, len(cols))
	for n, rec := range recs {
		clear(row)
		for _, f := range rec {
			text, err := cellText(f.raw)
			if err != nil {
				return fmt.Errorf("record %d, key %q: %w", n+1, f.key, err)
			}
			row[index[f.key]] = text
		}
		if err := writeRow(w, cw, row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeRow writes through cw, except that a row of one empty field is
// quoted: encoding/csv would write a blank line, which readers skip.
func writeRow(w io.Writer, cw *csv.Writer, row []string) error {
	if len(row) == 1 && row[0] == "" {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\"\"\n")
		return err
	}
	return cw.Write(row)
}

// cellText is a value as CSV shows it: a string's text, a number's or a
// boolean's spelling, "" for null, and compact JSON for the rest.
func cellText(raw json.RawMessage) (string, error) {
	switch {
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case string(raw) == "null":
		return "", nil
	}
	return string(raw), nil
}
