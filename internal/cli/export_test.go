package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// A Latin-1 ID from a CSV file is exported as valid JSON (it used to come
// out as "caf\xe9", which every JSON parser rejects).
func TestExportLatin1ID(t *testing.T) {
	s := server(t, ollamatest.Config{Dims: 4})
	dir := t.TempDir()
	in := writeFile(t, dir, "m.csv", "id,text\ncaf\xe9,one\nplain,two\n")
	db := filepath.Join(dir, "m.db")
	if r := run(t, "", "embed", in, "--host", s.URL(), "--db", db); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	out := filepath.Join(dir, "v.jsonl")
	if r := run(t, "", "export", "--db", db, "--out", out); r.code != ExitOK {
		t.Fatalf("export exit %d: %s", r.code, r.err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct {
			ID     string    `json:"id"`
			Vector []float32 `json:"vector"`
		}
		if !json.Valid([]byte(line)) {
			t.Fatalf("export wrote invalid JSON: %q", line)
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || len(rec.Vector) != 4 {
			t.Fatalf("%q: %+v, %v", line, rec, err)
		}
		ids = append(ids, rec.ID)
	}
	if strings.Join(ids, ",") != "caf\uFFFD,plain" {
		t.Errorf("exported IDs %q, want caf\\uFFFD and plain", ids)
	}
}

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
