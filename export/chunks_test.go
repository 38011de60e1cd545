package export_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/export"
	"github.com/salvoembed/salvo/sqlite"
	"github.com/salvoembed/salvo/storetest"
)

// chunkedStore holds "a" whole and "b" in two pieces, with kept fields.
func chunkedStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m", Endpoint: "e", Keep: "title"}); err != nil {
		t.Fatal(err)
	}
	err = s.Put(ctx, "c", storetest.Entries(dims, 1, 2, 3), []salvo.Item{
		{ID: "a", Key: storetest.Key(1), Fields: []byte(`{"title":"A"}`)},
		{ID: "b", Key: storetest.Key(2), Fields: []byte(`{"title":"B"}`), Chunk: &salvo.Chunk{Index: 0, Count: 2, Start: 0, End: 100}},
		{ID: "b", Key: storetest.Key(3), Fields: []byte(`{"title":"B"}`), Chunk: &salvo.Chunk{Index: 1, Count: 2, Start: 90, End: 180}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExportPieces: a record in pieces is one row per piece with its
// number and offsets (CSV columns; numpy .ids.txt lines id#chunk), each
// with the piece's vector; a whole record leaves them empty.
func TestExportPieces(t *testing.T) {
	ctx := context.Background()
	st := chunkedStore(t)
	var b strings.Builder
	if err := export.To(ctx, st, export.CSV, &b, export.Options{Collection: "c"}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0][:5], []string{"id", "title", "chunk", "start", "end"}) {
		t.Fatalf("CSV:\n%s", b.String())
	}
	want := [][]string{{"a", "A", "", "", ""}, {"b", "B", "0", "0", "100"}, {"b", "B", "1", "90", "180"}}
	for i, w := range want {
		if !slices.Equal(rows[i+1][:5], w) {
			t.Errorf("CSV row %d = %q, want %q", i+1, rows[i+1][:5], w)
		}
	}
	if rows[3][5] == rows[2][5] {
		t.Errorf("b's pieces have the same vector: %q", rows[2:])
	}

	path := filepath.Join(t.TempDir(), "v.npy")
	if err := export.ToFile(ctx, st, export.NPY, path, export.Options{Collection: "c"}); err != nil {
		t.Fatal(err)
	}
	ids, err := os.ReadFile(export.Files(export.NPY, path)[1])
	if err != nil {
		t.Fatal(err)
	}
	if string(ids) != "a\nb#0\nb#1\n" {
		t.Fatalf(".ids.txt = %q, want a, b#0, b#1", ids)
	}
	// The IDs format lists each record once.
	b.Reset()
	if err := export.To(ctx, st, export.IDs, &b, export.Options{Collection: "c"}); err != nil || b.String() != "a\nb\n" {
		t.Fatalf("ids: %q, %v", b.String(), err)
	}
}
