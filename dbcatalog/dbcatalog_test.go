package dbcatalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// readAll reads every record of query.
func readAll(t *testing.T, db *DB, query, id string) ([]*salvo.Record, []error) {
	t.Helper()
	rows, err := db.Query(context.Background(), query, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var (
		recs []*salvo.Record
		errs []error
	)
	for {
		rec, err := rows.Next()
		if err == io.EOF {
			return recs, errs
		}
		var le *salvo.RecordError
		if errors.As(err, &le) {
			errs = append(errs, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}

// checkSeries checks the records of a 2,500-row series: more than two
// pages, in order, each with its row number.
func checkSeries(t *testing.T, recs []*salvo.Record) {
	t.Helper()
	if len(recs) != 2500 {
		t.Fatalf("%d records, want 2500", len(recs))
	}
	for i, r := range recs {
		want := strconv.Itoa(i + 1)
		if r.ID != want || r.Line != i+1 || r.Source != Source || r.Fields["title"] != "movie "+want || r.Fields["id"] != json.Number(want) {
			t.Fatalf("record %d = %+v", i, r)
		}
	}
}

func TestPostgresRows(t *testing.T) {
	for _, tt := range []struct {
		name string
		srv  func(testing.TB) *pgtest.Server
	}{{"PostgreSQL", pgtest.PostgreSQL}, {"PGlite", pgtest.PGlite}} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.srv(t).URL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			recs, _ := readAll(t, db, "SELECT i AS id, 'movie ' || i AS title FROM generate_series(1, 2500) AS i;", "id")
			checkSeries(t, recs)
			if n := db.Count(context.Background(), "SELECT * FROM generate_series(1, 2500)"); n != 2500 {
				t.Errorf("Count = %d", n)
			}

			recs, errs := readAll(t, db, `SELECT * FROM (VALUES
				('a', ARRAY['Drama', 'War'], '{"x": 1.50, "y": [1, "two"]}'::jsonb, 4.50::numeric(3,2), DATE '2020-01-02', true, NULL::text, 7::smallint, 0.5::real, 'b6c0a1e4-4a3f-4b5e-9d1c-7a1f2e3d4c5b'::uuid),
				(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) AS v (id, genres, meta, rating, day, ok, nothing, n, r, u)`, "id")
			if len(recs) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "sql:2") || !strings.Contains(errs[0].Error(), "NULL") {
				t.Fatalf("records %v, errors %v; want one record and a NULL-ID error at sql:2", recs, errs)
			}
			want := map[string]any{
				"id": "a", "genres": []any{"Drama", "War"},
				"meta":   map[string]any{"x": json.Number("1.5"), "y": []any{json.Number("1"), "two"}},
				"rating": json.Number("4.50"), "day": "2020-01-02", "ok": true, "nothing": nil,
				"n": json.Number("7"), "r": json.Number("0.5"), "u": "b6c0a1e4-4a3f-4b5e-9d1c-7a1f2e3d4c5b",
			}
			if !reflect.DeepEqual(recs[0].Fields, want) {
				t.Errorf("fields\n got %#v\nwant %#v", recs[0].Fields, want)
			}
		})
	}
}

func TestSQLiteRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	lite, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lite.Exec(`CREATE TABLE t (id INTEGER, title TEXT, rating REAL, raw BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := lite.Exec(`INSERT INTO t VALUES (1, 'Heat', 8.25, x'6869'), (NULL, 'no id', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	lite.Close()
	for _, dsn := range []string{path, "sqlite:" + path} {
		db, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := readAll(t, db, `WITH RECURSIVE s(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM s WHERE id < 2500) SELECT id, 'movie ' || id AS title FROM s`, "id")
		checkSeries(t, recs)
		recs, errs := readAll(t, db, "SELECT * FROM t ORDER BY id DESC", "id")
		want := map[string]any{"id": json.Number("1"), "title": "Heat", "rating": json.Number("8.25"), "raw": "hi"}
		if len(recs) != 1 || !reflect.DeepEqual(recs[0].Fields, want) || len(errs) != 1 {
			t.Errorf("records %+v, errors %v", recs, errs)
		}
		db.Close()
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.db")); err == nil || !strings.Contains(err.Error(), "no such SQLite file") {
		t.Errorf("Open of a missing file: %v", err)
	}
}

// TestQueryErrors: a failing query and a missing ID column fail Query,
// with the server's message and the columns there are.
func TestQueryErrors(t *testing.T) {
	for _, srv := range []func(testing.TB) *pgtest.Server{pgtest.PostgreSQL, pgtest.PGlite} {
		s := srv(t)
		db, err := Open(context.Background(), s.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, tt := range []struct{ query, id, want string }{
			{"SELECT nope FROM generate_series(1, 3)", "id", `column "nope" does not exist (at "nope FROM generate_series(1, 3")`},
			{"SELEC 1", "id", `syntax error at or near "SELEC" (at "SELEC 1")`},
			{"SELECT 1 AS key, 2 AS title", "id", `no column "id" for record IDs (its columns: key, title)`},
			{"  ", "id", "the query is empty"},
		} {
			_, err := db.Query(context.Background(), tt.query, tt.id)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: Query(%q): %v, want %q", s.Name, tt.query, err, tt.want)
			}
		}
	}
}

func TestValue(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tt := range []struct {
		in   any
		oid  uint32
		want any
	}{
		{int64(-3), 0, json.Number("-3")},
		{int32(1999), 0, json.Number("1999")},
		{uint64(math.MaxUint64), 0, json.Number("18446744073709551615")},
		{1.5, 0, json.Number("1.5")},
		{float32(0.1), 0, json.Number("0.1")},
		{math.Inf(1), 0, "+Inf"},
		{[]byte("bytes"), 0, "bytes"},
		{when, 0, "2024-05-06T07:08:09Z"},
		{when, oidDate, "2024-05-06"},
		{[]any{int32(1), nil, "x"}, 0, []any{json.Number("1"), nil, "x"}},
		{map[string]any{"a": 2.0}, 0, map[string]any{"a": json.Number("2")}},
		{struct{ A int }{3}, 0, "{3}"},
	} {
		if got := Value(tt.in, tt.oid); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%#v) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"movies.embedding", "public.movies.embedding", "movies", "a..b", ".x", "a.b.c.d", "é.\"q\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Table == "" || tg.Column == "" || tg.String() != s {
			t.Errorf("ParseTarget(%q) = %+v (%q)", s, tg, tg.String())
		}
	})
}

// FuzzVectorText: what the write-back sends reads back bit for bit.
func FuzzVectorText(f *testing.F) {
	f.Add(float32(1), float32(-0.5), float32(1e-40))
	f.Add(float32(math.MaxFloat32), float32(math.SmallestNonzeroFloat32), float32(1.0/3))
	f.Fuzz(func(t *testing.T, a, b, c float32) {
		v := []float32{a, b, c}
		for _, vector := range []bool{true, false} {
			s := vectorText(v, vector)
			parts := strings.Split(s[1:len(s)-1], ",")
			if len(parts) != 3 {
				t.Fatalf("vectorText(%v) = %q", v, s)
			}
			for i, p := range parts {
				x, err := strconv.ParseFloat(p, 32)
				if err != nil && !math.IsInf(float64(v[i]), 0) {
					t.Fatalf("%q: %v", p, err)
				}
				if !math.IsNaN(float64(v[i])) && math.Float32bits(float32(x)) != math.Float32bits(v[i]) {
					t.Errorf("element %d of %q reads back as %v, want %v", i, s, float32(x), v[i])
				}
			}
		}
	})
}
