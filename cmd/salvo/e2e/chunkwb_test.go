package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salvoembed/salvo/cmd/salvo/internal/cli"
	"github.com/salvoembed/salvo/ollamatest"
)

// TestChunkWriteBackAndWords: long documents in a SQLite table, embedded
// with --write-back: the pieces go into docs_chunks and the report says
// so; a word found only in the last tenth of a document finds it by
// words alone (--mode text), its words index holding its whole text.
func TestChunkWriteBackAndWords(t *testing.T) {
	const ctxTokens, n = 64, 6
	srv := ollamatest.New(ollamatest.Config{ContextTokens: ctxTokens, Words: true, Dims: 32})
	defer srv.Close()
	dir := t.TempDir()
	_, texts := longDocs(t, dir, n, ctxTokens)
	source := filepath.Join(dir, "docs.db")
	db, err := sql.Open("sqlite", source)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)"); err != nil {
		t.Fatal(err)
	}
	const target = 4
	for i, text := range texts {
		if i == target {
			text += " Zanzibar."
		}
		if _, err := db.Exec("INSERT INTO docs VALUES (?, ?)", i, text); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(dir, "salvo.db")
	r := salvo(t, "embed", "--source-db", source, "--sql", "SELECT id, body FROM docs", "--text", "{{.body}}",
		"--write-back", "docs.embedding", "--host", srv.URL(), "--db", store, "--json")
	if r.code != cli.ExitOK {
		t.Fatalf("salvo embed --write-back: exit %d\n%s", r.code, r.err)
	}
	var rep struct {
		Truncated int `json:"truncated"`
		WriteBack struct {
			Written        int    `json:"written"`
			ChunkTable     string `json:"chunk_table"`
			Pieces         int    `json:"pieces"`
			ChunkedRecords int    `json:"chunked_records"`
		} `json:"write_back"`
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	var rows, records int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT id) FROM docs_chunks").Scan(&rows, &records); err != nil {
		t.Fatal(err)
	}
	wb := rep.WriteBack
	if rep.Truncated != 0 || wb.ChunkTable != "docs_chunks" || wb.Written != n || wb.ChunkedRecords != n || wb.Pieces != rows || records != n || rows < 4*n {
		t.Fatalf("report %+v; docs_chunks holds %d pieces of %d records\n%s", rep, rows, records, r.err)
	}
	if !strings.Contains(r.err, fmt.Sprintf("wrote %d pieces of %d long records into docs_chunks", rows, n)) {
		t.Errorf("the report does not say where the pieces went:\n%s", r.err)
	}
	rs := searchJSON(t, "--host", srv.URL(), "--db", store, "--collection", "docs", "--mode", "text", "--k", "3", "zanzibar")
	if len(rs) != 1 || rs[0].ID != fmt.Sprint(target) {
		t.Fatalf("--mode text zanzibar (only at the end of document %d): %+v", target, rs)
	}
}

// TestChunkWriteBackTwoModels: one table embedded by two models into two
// columns, both cutting long documents into pieces: the first column's
// pieces go into docs_chunks, the second's into docs_emb_large_chunks, as
// the reports say; re-runs of each write nothing.
func TestChunkWriteBackTwoModels(t *testing.T) {
	const ctxTokens, n = 64, 3
	dir := t.TempDir()
	_, texts := longDocs(t, dir, n, ctxTokens)
	source := filepath.Join(dir, "docs.db")
	db, err := sql.Open("sqlite", source)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)"); err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		if _, err := db.Exec("INSERT INTO docs VALUES (?, ?)", i, text); err != nil {
			t.Fatal(err)
		}
	}
	models := []struct {
		name, column, table string
		dims                int
	}{{"small-embed", "emb_small", "docs_chunks", 16}, {"large-embed", "emb_large", "docs_emb_large_chunks", 32}}
	for run := range 2 {
		for _, m := range models {
			srv := ollamatest.New(ollamatest.Config{Models: []string{m.name}, ContextTokens: ctxTokens, Words: true, Dims: m.dims})
			r := salvo(t, "embed", "--source-db", source, "--sql", "SELECT id, body FROM docs", "--text", "{{.body}}",
				"--write-back", "docs."+m.column, "--model", m.name, "--collection", m.column, "--host", srv.URL(),
				"--db", filepath.Join(dir, "salvo.db"), "--json")
			srv.Close()
			if r.code != cli.ExitOK {
				t.Fatalf("salvo embed --write-back docs.%s: exit %d\n%s", m.column, r.code, r.err)
			}
			var rep struct {
				WriteBack struct {
					Written    int    `json:"written"`
					ChunkTable string `json:"chunk_table"`
					Pieces     int    `json:"pieces"`
				} `json:"write_back"`
			}
			if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, r.out)
			}
			var rows, records, bytes int
			if err := db.QueryRow(fmt.Sprintf("SELECT count(*), count(DISTINCT id), min(length(%s)) FROM %s", m.column, m.table)).Scan(&rows, &records, &bytes); err != nil {
				t.Fatal(err)
			}
			wb, pieces, written := rep.WriteBack, rows, n // the first run writes every piece and row
			if run > 0 {
				pieces, written = 0, 0
			}
			if wb.ChunkTable != m.table || wb.Pieces != pieces || wb.Written != written || records != n || bytes != 4*m.dims {
				t.Errorf("run %d of docs.%s: report %+v; %s holds %d pieces of %d records, %d bytes each", run+1, m.column, wb, m.table, rows, records, bytes)
			}
		}
	}
}
