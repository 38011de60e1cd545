package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/ollamatest"
)

// vegaDB embeds the Vega movies catalog (testdata/catalogs, 3,201 records
// nobody here wrote: nulls, numbers, field names with spaces) through
// ollamatest with the title as text, keeping three fields.
func vegaDB(t *testing.T) (db string, model string) {
	t.Helper()
	model = "all-minilm"
	s := server(t, ollamatest.Config{Models: []string{model}, Dims: 64})
	db = filepath.Join(t.TempDir(), "vega.db")
	r := run(t, "", "embed", repoFile(t, "testdata/catalogs/vega-movies.jsonl"), "--host", s.URL(), "--model", model,
		"--db", db, "--text", `{{.Title}} ({{index . "Release Date"}})`, "--keep", "Title,Major Genre,IMDB Rating", "--quiet")
	if r.code != ExitOK {
		t.Fatalf("embed: exit %d: %s", r.code, r.err)
	}
	return db, model
}

// exportFiles runs salvo export --format F --out dir/v.F for each format and
// returns the paths.
func exportFiles(t *testing.T, db string, formats ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for _, f := range formats {
		paths[f] = filepath.Join(dir, "v."+f)
		if r := run(t, "", "export", "--db", db, "--format", f, "--out", paths[f]); r.code != ExitOK {
			t.Fatalf("export --format %s: exit %d: %s", f, r.code, r.err)
		}
	}
	return paths
}

// exportedJSONL reads a jsonl export: every line must be valid JSON.
func exportedJSONL(t *testing.T, path string) (ids []string, vecs map[string][]float32, fields map[string]map[string]any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vecs, fields = map[string][]float32{}, map[string]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("%s:%d is not valid JSON: %.200s", path, n, sc.Text())
		}
		var row struct {
			ID     string         `json:"id"`
			Vector []float32      `json:"vector"`
			Fields map[string]any `json:"fields"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, row.ID)
		vecs[row.ID], fields[row.ID] = row.Vector, row.Fields
	}
	return ids, vecs, fields
}

func TestExportJSONLAndCSV(t *testing.T) {
	db, model := vegaDB(t)
	p := exportFiles(t, db, "jsonl", "csv")
	jl, cs := p["jsonl"], p["csv"]
	ids, vecs, fields := exportedJSONL(t, jl)
	if len(ids) != 3201 {
		t.Fatalf("jsonl: %d rows, want 3201", len(ids))
	}
	// The first record of the catalog: its vector is the server's for its title.
	first := repoFile(t, "testdata/catalogs/vega-movies.jsonl") + ":1"
	if got := fields[first]; got["Title"] != "The Land Girls" || got["Major Genre"] != nil || got["IMDB Rating"] != 6.1 {
		t.Errorf("jsonl fields of %s = %v", first, got)
	}
	if c := ollamatest.Cosine(vecs[first], ollamatest.Vector(model, "The Land Girls (Jun 12 1998)", 64)); c < 0.99999 {
		t.Errorf("jsonl vector of %s: cosine %.6f with the server's", first, c)
	}

	f, err := os.Open(cs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3202 || strings.Join(rows[0][:5], ",") != "id,Title,Major Genre,IMDB Rating,v0" || len(rows[0]) != 4+64 {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0][:5])
	}
	for _, row := range rows[1:] {
		v := vecs[row[0]]
		if v == nil {
			t.Fatalf("csv row %v: ID not in the jsonl export", row[:2])
		}
		for j, s := range row[4:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil || float32(x) != v[j] {
				t.Fatalf("csv %s v%d = %q, jsonl has %v", row[0], j, s, v[j])
			}
		}
	}
}

// need skips a test whose outside reader is missing, except under CI=true,
// where a skipped round-trip must not pass.
func need(t *testing.T, what, install string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing (CI=true): %s", what, install)
	}
	t.Skipf("%s is missing: %s", what, install)
}

// numpyPython finds a python3 that imports numpy (Debian's python3-numpy
// goes with /usr/bin/python3, which another python3 on PATH may hide).
func numpyPython(t *testing.T) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			return p
		}
	}
	need(t, "numpy", "apt-get install python3-numpy (.ci/run does)")
	return ""
}

func TestExportNPYReadByNumpy(t *testing.T) {
	py := numpyPython(t)
	db, _ := vegaDB(t)
	p := exportFiles(t, db, "jsonl", "npy")
	jl, npy := p["jsonl"], p["npy"]
	dir := filepath.Dir(npy)
	ids, vecs, _ := exportedJSONL(t, jl)
	out, err := exec.Command(py, "-c", `
import json, sys, numpy as np
a = np.load(sys.argv[1])
ids = open(sys.argv[2]).read().split("\n")[:-1]
print(json.dumps({"shape": a.shape, "dtype": str(a.dtype), "ids": ids, "rows": [a[0].tolist(), a[-1].tolist()]}))
`, npy, filepath.Join(dir, "v.ids.txt")).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	var got struct {
		Shape []int
		Dtype string
		IDs   []string
		Rows  [][]float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Shape) != 2 || got.Shape[0] != 3201 || got.Shape[1] != 64 || got.Dtype != "float32" {
		t.Fatalf("numpy sees shape %v %s, want (3201, 64) float32", got.Shape, got.Dtype)
	}
	if strings.Join(got.IDs, "\n") != strings.Join(ids, "\n") {
		t.Errorf(".ids.txt differs from the jsonl export's IDs")
	}
	for i, id := range []string{ids[0], ids[len(ids)-1]} {
		for j, x := range got.Rows[i] {
			if float32(x) != vecs[id][j] {
				t.Fatalf("numpy row of %s [%d] = %v, want %v", id, j, x, vecs[id][j])
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "v.fields.jsonl")); err != nil || !strings.HasPrefix(string(b), `{"Title":"The Land Girls","Major Genre":null,"IMDB Rating":6.1}`) {
		t.Errorf(".fields.jsonl: %.100s, %v", b, err)
	}
}

// duckdbModules is the node_modules folder holding @duckdb/node-api, which
// .ci/run installs into the cache: $SALVO_DUCKDB_DIR or ~/.cache/salvo/duckdb.
func duckdbModules(t *testing.T) string {
	dir := os.Getenv("SALVO_DUCKDB_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "salvo", "duckdb")
	}
	mods := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "@duckdb", "node-api")); err != nil {
		need(t, "DuckDB for Node", "npm install --prefix "+dir+" @duckdb/node-api@1.5.6-r.1 (.ci/run does)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		need(t, "node", "apt-get install nodejs")
	}
	return mods
}

func TestExportParquetReadByDuckDB(t *testing.T) {
	mods := duckdbModules(t)
	db, _ := vegaDB(t)
	p := exportFiles(t, db, "jsonl", "parquet")
	jl, pq := p["jsonl"], p["parquet"]
	ids, vecs, _ := exportedJSONL(t, jl)
	cmd := exec.Command("node", "-e", `
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const path = process.argv[1];
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const count = (await con.runAndReadAll("SELECT count(*) AS n, min(len(vector)) AS lo, max(len(vector)) AS hi FROM '" + path + "'")).getRowObjectsJson();
  const rows = (await con.runAndReadAll("SELECT id, \"Title\" AS title, \"IMDB Rating\" AS rating, vector FROM '" + path + "' ORDER BY id")).getRowObjectsJson();
  console.log(JSON.stringify({count: count[0], rows}));
})().catch(e => { console.error(e); process.exit(1); });
`, pq)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("duckdb: %v\n%s", err, out)
	}
	var got struct {
		Count struct{ N, Lo, Hi string }
		Rows  []struct {
			ID, Title string
			Rating    *string
			Vector    []float64
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %.300s", err, out)
	}
	if got.Count.N != "3201" || got.Count.Lo != "64" || got.Count.Hi != "64" {
		t.Fatalf("DuckDB: count(*), len(vector) = %+v, want 3201 rows of 64", got.Count)
	}
	if len(got.Rows) != len(ids) {
		t.Fatalf("DuckDB reads %d rows, jsonl has %d", len(got.Rows), len(ids))
	}
	for _, row := range got.Rows {
		want := vecs[row.ID]
		if len(want) != len(row.Vector) {
			t.Fatalf("DuckDB row %s: %d values, want %d", row.ID, len(row.Vector), len(want))
		}
		for j, x := range row.Vector {
			if float32(x) != want[j] {
				t.Fatalf("DuckDB row %s [%d] = %v, want %v", row.ID, j, x, want[j])
			}
		}
	}
	for _, row := range got.Rows {
		if strings.HasSuffix(row.ID, "vega-movies.jsonl:1") && (row.Title != "The Land Girls" || row.Rating == nil || *row.Rating != "6.1") {
			t.Errorf("DuckDB row %s: title %q rating %v", row.ID, row.Title, row.Rating)
		}
	}
}

func TestExportErrors(t *testing.T) {
	db, _ := vegaDB(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "npy"}, "needs --out PATH"},
		{[]string{"--format", "xml", "--out", "x"}, "choose jsonl, csv, npy, parquet"},
		{[]string{"--collection", "nope", "--out", filepath.Join(t.TempDir(), "x.jsonl")}, `has no collection "nope"; its collections: vega-movies`},
	} {
		r := run(t, "", append([]string{"export", "--db", db}, tc.args...)...)
		if r.code != ExitFatal || !strings.Contains(r.err, tc.want) {
			t.Errorf("export %v: exit %d, stderr %q; want 1 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}
