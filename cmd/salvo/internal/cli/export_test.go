package cli

import (
	"encoding/json"
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
