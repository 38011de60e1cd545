package export

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// Every line export writes is valid JSON and decodes to the ID as
// encoding/json would write it and to the vector's values (null for NaN
// and infinities), whatever the bytes.
func FuzzExportRecord(f *testing.F) {
	f.Add("tt0111161", []byte{0, 0, 128, 63})
	f.Add("caf\xe9", []byte{0, 0, 192, 127, 0, 0, 128, 127})
	f.Add("\"\\\x00\u2028", []byte{1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, id string, raw []byte) {
		v := make([]float32, len(raw)/4)
		for i := range v {
			v[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		}
		line := appendRecord(nil, id, v, nil, nil)
		if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", line)
		}
		if !json.Valid(line) {
			t.Fatalf("invalid JSON: %q", line)
		}
		var rec struct {
			ID     string     `json:"id"`
			Vector []*float32 `json:"vector"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		var wantID string
		ref, _ := json.Marshal(id)
		if err := json.Unmarshal(ref, &wantID); err != nil {
			t.Fatal(err)
		}
		if rec.ID != wantID {
			t.Fatalf("ID %q came back as %q, want %q", id, rec.ID, wantID)
		}
		if len(rec.Vector) != len(v) {
			t.Fatalf("%d values came back as %d", len(v), len(rec.Vector))
		}
		for i, x := range v {
			got := rec.Vector[i]
			switch {
			case math.IsNaN(float64(x)) || math.IsInf(float64(x), 0):
				if got != nil {
					t.Fatalf("value %d (%v) came back as %v, want null", i, x, *got)
				}
			case got == nil || math.Float32bits(*got) != math.Float32bits(x):
				t.Fatalf("value %d (%v) came back as %v", i, x, got)
			}
		}
	})
}

// valueText gives a string's value unquoted and anything else as its JSON,
// whatever the bytes; null and nothing are "".
func FuzzValueText(f *testing.F) {
	f.Add([]byte(`"s"`))
	f.Add([]byte(`[1,"x"]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"bad \u`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := valueText(b)
		var s string
		switch {
		case len(b) == 0 || string(b) == "null":
			if got != "" {
				t.Fatalf("valueText(%q) = %q, want empty", b, got)
			}
		case b[0] == '"' && json.Unmarshal(b, &s) == nil:
			if got != s {
				t.Fatalf("valueText(%q) = %q, want %q", b, got, s)
			}
		default:
			if got != string(b) {
				t.Fatalf("valueText(%q) = %q, want the bytes", b, got)
			}
		}
	})
}
