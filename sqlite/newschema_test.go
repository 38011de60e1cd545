package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestNewSchemaIsMigratedSchema: a new file gets newSchema in one script;
// a file of every older version is upgraded step by step. Both must end
// with the same schema: the same objects, in the same order (the order
// SQLite fires triggers in), with the same definitions, and the same
// pragmas.
func TestNewSchemaIsMigratedSchema(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new.db")
	s, err := Open(fresh)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := schemaOf(t, fresh)
	if len(want.objects) < 10 {
		t.Fatalf("a new file has %d schema objects: %q", len(want.objects), want.objects)
	}
	if !slices.ContainsFunc(want.rows, func(r string) bool { return strings.HasPrefix(r, "item_words_fts_config: ") }) {
		t.Errorf("a new file has no FTS5 settings among its rows: %q", want.rows)
	}
	if want.pragmas["user_version"] != fmt.Sprint(SchemaVersion) || want.pragmas["application_id"] != fmt.Sprint(applicationID) ||
		want.pragmas["page_size"] != fmt.Sprint(PageSize) {
		t.Errorf("a new file's pragmas: %v", want.pragmas)
	}
	// From version v: the steps before v as an older salvo ran them, then
	// Open runs the rest. From version 0 the test runs every step itself,
	// as Open did before new files got newSchema.
	for v := range SchemaVersion {
		path := filepath.Join(dir, fmt.Sprintf("v%d.db", v))
		upto := v
		if v == 0 {
			upto = SchemaVersion
		}
		writeVersion(t, path, upto)
		s, err := Open(path)
		if err != nil {
			t.Fatalf("from version %d: %v", v, err)
		}
		s.Close()
		got := schemaOf(t, path)
		if !slices.Equal(got.objects, want.objects) {
			t.Errorf("migrated from version %d, the schema differs from a new file's (newSchema must build what the steps build):\n%s", v, diffLines(got.objects, want.objects))
		}
		if !slices.Equal(got.rows, want.rows) {
			t.Errorf("migrated from version %d, the tables hold other rows than a new file's:\n%s", v, diffLines(got.rows, want.rows))
		}
		for k, w := range want.pragmas {
			if got.pragmas[k] != w {
				t.Errorf("migrated from version %d: PRAGMA %s = %s, a new file has %s", v, k, got.pragmas[k], w)
			}
		}
	}
}

// writeVersion makes path a salvo database of schema version v, as an
// older salvo left it: the first v steps, run one by one.
func writeVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := []string{fmt.Sprintf("PRAGMA page_size = %d", PageSize), "PRAGMA journal_mode = WAL"}
	qs = append(qs, migrations[:v]...)
	if v > 0 {
		qs = append(qs, fmt.Sprintf("PRAGMA application_id = %d", applicationID), fmt.Sprintf("PRAGMA user_version = %d", v))
	}
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("version %d: %s: %v", v, q, err)
		}
	}
}

type schema struct {
	objects []string          // sqlite_schema's rows in order, normalised
	pragmas map[string]string // the file-wide settings
	rows    []string          // the rows of every table, such as FTS5's settings
}

var (
	spaces      = regexp.MustCompile(`\s+`)
	spacedPunct = regexp.MustCompile(` ?([(),;]) ?`)
)

// schemaOf reads the schema of the database at path. Definitions are
// compared with their white space normalised: ALTER TABLE splices a new
// column into the text of CREATE TABLE as it was written.
func schemaOf(t *testing.T, path string) schema {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sc schema
	for rows.Next() {
		var typ, name, table, def string
		if err := rows.Scan(&typ, &name, &table, &def); err != nil {
			t.Fatal(err)
		}
		def = spacedPunct.ReplaceAllString(spaces.ReplaceAllString(strings.TrimSpace(def), " "), "$1")
		sc.objects = append(sc.objects, fmt.Sprintf("%s %s ON %s: %s", typ, name, table, def))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, o := range sc.objects {
		var typ, name string
		if _, err := fmt.Sscanf(o, "%s %s", &typ, &name); err != nil {
			t.Fatal(err)
		}
		if typ != "table" || strings.HasPrefix(o, "table "+name+" ON "+name+": CREATE VIRTUAL TABLE") {
			continue
		}
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+name+`"`)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			sc.rows = append(sc.rows, fmt.Sprintf("%s: %v", name, vals))
		}
		rows.Close()
	}
	sc.pragmas = map[string]string{}
	for _, p := range []string{"user_version", "application_id", "page_size", "journal_mode", "encoding", "auto_vacuum"} {
		var v string
		if err := db.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", p, err)
		}
		sc.pragmas[p] = v
	}
	return sc
}

// diffLines lists the lines of got and want that differ, place by place.
func diffLines(got, want []string) string {
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		g, w := "(none)", "(none)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "  %d: migrated %s\n  %d: new      %s\n", i, g, i, w)
		}
	}
	return b.String()
}
