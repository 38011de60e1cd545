package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/export"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

const dims = 3

// store holds collection c: IDs a, b, c with vectors storetest.Vector(i)
// and kept fields.
func store(t *testing.T, ids ...string) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "e", Keep: "title,year"}); err != nil {
		t.Fatal(err)
	}
	var keys []int
	var items []salvo.Item
	for i, id := range ids {
		keys = append(keys, i+1)
		items = append(items, salvo.Item{ID: id, Key: storetest.Key(i + 1), Fields: json.RawMessage(`{"title":"T ` + strconv.Itoa(i) + `","year":` + strconv.Itoa(1990+i) + `}`)})
	}
	if err := s.Put(ctx, "c", storetest.Entries(dims, keys...), items); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJSONLToStream(t *testing.T) {
	s := store(t, "a", "b", "c")
	var buf bytes.Buffer
	if err := export.To(context.Background(), s, export.JSONL, &buf, export.Options{Collection: "c"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, l := range lines {
		var rec struct {
			ID     string
			Vector []float32
			Fields map[string]any
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.ID != []string{"a", "b", "c"}[i] || !slices.Equal(rec.Vector, storetest.Vector(i+1, dims)) || rec.Fields["title"] != "T "+strconv.Itoa(i) || rec.Fields["year"] != float64(1990+i) {
			t.Errorf("line %d: %+v", i, rec)
		}
	}
}

func TestCSVFile(t *testing.T) {
	s := store(t, "a", "b")
	path := filepath.Join(t.TempDir(), "v.csv")
	if err := export.ToFile(context.Background(), s, export.CSV, path, export.Options{Collection: "c", Fields: []string{"year", "text"}}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != "id,year,text,v0,v1,v2" {
		t.Fatalf("rows %v", rows)
	}
	want := storetest.Vector(2, dims)
	if rows[2][0] != "b" || rows[2][1] != "1991" {
		t.Errorf("row %v", rows[2])
	}
	for j, x := range rows[2][3:] {
		if v, _ := strconv.ParseFloat(x, 32); float32(v) != want[j] {
			t.Errorf("v%d = %s, want %v", j, x, want[j])
		}
	}
}

// The .npy file is a float32 [N, dims] matrix numpy reads; the IDs and
// fields are beside it, one line per row.
func TestNPYFiles(t *testing.T) {
	s := store(t, "a", "b", "c")
	dir := t.TempDir()
	path := filepath.Join(dir, "m.npy")
	if err := export.ToFile(context.Background(), s, export.NPY, path, export.Options{Collection: "c"}); err != nil {
		t.Fatal(err)
	}
	files := export.Files(export.NPY, path)
	if !slices.Equal(files, []string{path, filepath.Join(dir, "m.ids.txt"), filepath.Join(dir, "m.fields.jsonl")}) {
		t.Fatalf("Files = %v", files)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	header := string(b[10 : 10+hl])
	if !strings.HasPrefix(string(b), "\x93NUMPY\x01\x00") || !strings.Contains(header, "'descr': '<f4'") || !strings.Contains(header, "'shape': (3, 3)") {
		t.Fatalf("header %q", header)
	}
	data := b[10+hl:]
	if len(data) != 3*dims*4 {
		t.Fatalf("%d bytes of data, want %d", len(data), 3*dims*4)
	}
	for i := range 3 {
		for j, want := range storetest.Vector(i+1, dims) {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(data[(i*dims+j)*4:])); got != want {
				t.Fatalf("row %d col %d = %v, want %v", i, j, got, want)
			}
		}
	}
	if ids, _ := os.ReadFile(files[1]); string(ids) != "a\nb\nc\n" {
		t.Errorf("ids %q", ids)
	}
	fields, _ := os.ReadFile(files[2])
	if sc := bufio.NewScanner(bytes.NewReader(fields)); !sc.Scan() || sc.Text() != `{"title":"T 0","year":1990}` {
		t.Errorf("fields %q", fields)
	}
}

func TestParquetFile(t *testing.T) {
	s := store(t, "a", "b")
	path := filepath.Join(t.TempDir(), "v.parquet")
	if err := export.ToFile(context.Background(), s, export.Parquet, path, export.Options{Collection: "c"}); err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID     string    `parquet:"id"`
		Title  *string   `parquet:"title,optional"`
		Year   *string   `parquet:"year,optional"`
		Vector []float32 `parquet:"vector,list"`
	}
	rows, err := parquet.ReadFile[row](path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].ID != "b" || rows[1].Title == nil || *rows[1].Title != "T 1" || *rows[1].Year != "1991" || !slices.Equal(rows[1].Vector, storetest.Vector(2, dims)) {
		t.Fatalf("rows %+v", rows)
	}
}

// The library's errors carry their facts: an unknown format, a format
// that needs a file, a field parquet cannot take, a missing collection.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	s := store(t, "a")
	var fe *export.FormatError
	if err := export.To(ctx, s, "xml", &bytes.Buffer{}, export.Options{Collection: "c"}); !errors.As(err, &fe) || fe.Format != "xml" || fe.Stream {
		t.Errorf("xml: %v", err)
	}
	if err := export.To(ctx, s, export.NPY, &bytes.Buffer{}, export.Options{Collection: "c"}); !errors.As(err, &fe) || !fe.Stream {
		t.Errorf("npy to a stream: %v", err)
	}
	var field *export.FieldError
	path := filepath.Join(t.TempDir(), "v.parquet")
	if err := export.ToFile(ctx, s, export.Parquet, path, export.Options{Collection: "c", Fields: []string{"id"}}); !errors.As(err, &field) || field.Field != "id" {
		t.Errorf("parquet column id: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed export left %s: %v", path, err)
	}
	if err := export.To(ctx, s, export.JSONL, &bytes.Buffer{}, export.Options{Collection: "nope"}); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("missing collection: %v", err)
	}
}

// A failed export leaves an earlier one's files byte for byte and no
// temporary file.
func TestFailedExportKeepsEarlierFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.npy")
	if err := export.ToFile(ctx, store(t, "a", "b"), export.NPY, path, export.Options{Collection: "c"}); err != nil {
		t.Fatal(err)
	}
	files := export.Files(export.NPY, path)
	var before [][]byte
	for _, f := range files {
		b, _ := os.ReadFile(f)
		before = append(before, b)
	}
	err := export.ToFile(ctx, store(t, "a", "b\nc"), export.NPY, path, export.Options{Collection: "c"})
	if err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("an ID with a line break: %v", err)
	}
	for i, f := range files {
		if b, _ := os.ReadFile(f); !bytes.Equal(b, before[i]) {
			t.Errorf("%s changed", f)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 3 {
		t.Errorf("%d files in the folder, want the 3 of the first export", len(es))
	}
}

// IDs lists the IDs one per line, nothing else; an ID with a line break is
// an error rather than two lines.
func TestIDs(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	if err := export.To(ctx, store(t, "b", "a", "x y"), export.IDs, &buf, export.Options{Collection: "c", Fields: []string{"title"}}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "a\nb\nx y\n" {
		t.Errorf("ids %q", buf.String())
	}
	err := export.To(ctx, store(t, "a\nb"), export.IDs, &bytes.Buffer{}, export.Options{Collection: "c"})
	if err == nil || !strings.Contains(err.Error(), "line break") {
		t.Errorf("an ID with a line break: %v", err)
	}
}
