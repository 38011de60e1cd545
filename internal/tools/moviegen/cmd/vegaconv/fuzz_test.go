package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzReadArray checks that whatever readArray accepts converts to JSON
// lines and CSV that agree: one valid object per line, a CSV row per
// record, and each scalar's CSV text equal to its JSON value.
func FuzzReadArray(f *testing.F) {
	seeds := []string{
		`[]`,
		`[{"Title": 1776, "IMDB Rating": 7.0, "Director": null}]`,
		`[{"a": "x,\"y\"\n"}, {"b": [1, {"c": 2}], "a": true}]`,
		`[{"": ""}]`,
		`[{"a": 1e400, "b": -0.0}]`,
		"[{\"a\": \"\xff\"}]",
		`[{"a":1,"a":2}]`,
		`[1]`,
		`{`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := readArray(bytes.NewReader(in))
		if err != nil || len(columns(recs)) == 0 && len(recs) > 0 {
			return // rejected input, or records that CSV cannot hold
		}
		jsonl, csvText := convert(t, recs)
		lines := strings.Split(string(jsonl), "\n")
		if len(lines) != len(recs)+1 || lines[len(recs)] != "" {
			t.Fatalf("%d records gave %d lines:\n%s", len(recs), len(lines)-1, jsonl)
		}
		rows, err := csv.NewReader(bytes.NewReader(csvText)).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v\n%s", err, csvText)
		}
		if len(recs) == 0 && len(rows) == 0 {
			return
		}
		if len(rows) != len(recs)+1 {
			t.Fatalf("%d records gave %d CSV rows:\n%s", len(recs), len(rows), csvText)
		}
		header := rows[0]
		for n, line := range lines[:len(recs)] {
			obj := decodeLine(t, line)
			if len(obj) != len(recs[n]) {
				t.Fatalf("line %d has %d keys, record has %d: %s", n+1, len(obj), len(recs[n]), line)
			}
			for col, key := range header {
				v, ok := obj[key]
				want := textOf(v)
				if !ok {
					want = ""
				}
				got := rows[n+1][col]
				switch v.(type) {
				case map[string]any, []any:
					if !json.Valid([]byte(got)) {
						t.Fatalf("record %d, %q: CSV holds %q, not JSON", n+1, key, got)
					}
					continue
				}
				// encoding/csv reads \r\n inside a quoted field as \n.
				if got != strings.ReplaceAll(want, "\r\n", "\n") {
					t.Fatalf("record %d, %q: CSV has %q, JSON lines %q", n+1, key, got, want)
				}
			}
		}
	})
}
