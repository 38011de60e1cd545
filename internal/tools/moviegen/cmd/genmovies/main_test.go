package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		lines   int    // lines of output wanted, when it succeeds
		wantErr string // part of the error wanted, "" for success
	}{
		{"jsonl", []string{"-n", "3", "-seed", "5"}, 3, ""},
		{"zero", []string{"-n", "0"}, 0, ""},
		{"yts", []string{"-n", "2", "-format", "yts"}, -1, ""},
		{"bad format", []string{"-format", "csv"}, 0, `unknown -format "csv"`},
		{"extra argument", []string{"out.jsonl"}, 0, "unexpected argument"},
		{"negative", []string{"-n", "-1"}, 0, "count must be 0 or more"},
		{"bad flag", []string{"-x"}, 0, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.lines < 0 { // one JSON document
				if !json.Valid(stdout.Bytes()) {
					t.Fatalf("output is not valid JSON:\n%s", stdout.String())
				}
				return
			}
			if got := strings.Count(stdout.String(), "\n"); got != tt.lines {
				t.Fatalf("got %d lines, want %d", got, tt.lines)
			}
		})
	}
}
