package dbcatalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Which table holds a column's pieces. One table can be written back into
// several columns (one model each), each cutting long records into pieces
// of its own. The pieces of the column that <table>_chunks was made for,
// or of the first column cut into pieces when there is none, go into
// <table>_chunks; another column's into <table>_<column>_chunks, made at
// its first piece. A column whose pieces are in <table>_<column>_chunks
// already keeps that table.

// pgNameMax is the length in bytes of the longest name PostgreSQL keeps:
// a longer one is cut short (NAMEDATALEN - 1).
const pgNameMax = 63

// NameTooLongError is a table or column the write-back would create, or
// look for, under a name longer than the database keeps (PostgreSQL cuts
// a name to its first 63 bytes): cut short, it could be another's name.
type NameTooLongError struct {
	Kind  string // "table" or "column"
	Name  string // the name in full
	For   string // what it holds, e.g. "the pieces of docs.embedding"
	DB    string
	Limit int // the longest name the database keeps, in bytes
}

func (e *NameTooLongError) Error() string {
	return fmt.Sprintf("the %s for %s would be %s, %d bytes long, in %s, which keeps only the first %d bytes of a name: cut short, it could be another %s",
		e.Kind, e.For, e.Name, len(e.Name), e.DB, e.Limit, e.Kind)
}

// tableInfo is what the database says of a table: its columns' types
// (name → the type as written and its base type, e.g. "INTEGER" or
// "int4") and its primary key's columns in order.
type tableInfo struct {
	types map[string][2]string
	key   []string
}

// qualified is table name in the target's schema, quoted.
func (w *WriteBack) qualified(name string) string {
	if w.t.Schema != "" {
		return pgx.Identifier{w.t.Schema, name}.Sanitize()
	}
	return pgx.Identifier{name}.Sanitize()
}

// nameFits fails when name is longer than the database keeps.
func (w *WriteBack) nameFits(kind, name, what string) error {
	if w.db.pool != nil && len(name) > pgNameMax {
		return &NameTooLongError{Kind: kind, Name: name, For: what, DB: w.db.where, Limit: pgNameMax}
	}
	return nil
}

// inspectTable describes table name, nil when it does not exist.
func (w *WriteBack) inspectTable(ctx context.Context, name string) (*tableInfo, error) {
	if w.db.pool != nil {
		return w.inspectTablePostgres(ctx, name)
	}
	return w.inspectTableSQLite(ctx, name)
}

// resolveChunks chooses the table of the column's pieces (see above) and
// checks it; a table of that name that is not one of pieces of this
// column is a *[ChunkTableError].
func (w *WriteBack) resolveChunks(ctx context.Context) error {
	what := "the pieces of " + w.t.String()
	base, own := w.t.Table+"_chunks", w.t.Table+"_"+w.t.Column+"_chunks"
	if err := w.nameFits("table", base, what); err != nil {
		return err
	}
	info, err := w.inspectTable(ctx, base)
	if err != nil {
		return w.dbError(err)
	}
	if info != nil {
		errBase := w.checkPieces(base, info, w.t.Column, true)
		if errBase == nil {
			return w.useChunks(ctx, base, info)
		}
		if other := otherColumn(info); other == "" || other == w.t.Column || w.checkPieces(base, info, other, false) != nil {
			return errBase // not another column's pieces
		}
	}
	fits := w.nameFits("table", own, what)
	if fits != nil && info != nil {
		return fits
	}
	if fits == nil {
		mine, err := w.inspectTable(ctx, own)
		if err != nil {
			return w.dbError(err)
		}
		if mine != nil || info != nil {
			if mine != nil {
				if err := w.checkPieces(own, mine, w.t.Column, true); err != nil {
					return err
				}
			}
			return w.useChunks(ctx, own, mine)
		}
	}
	return w.useChunks(ctx, base, nil)
}

// otherColumn is the one column of a table besides id, chunk, start and
// "end", "" when it has not exactly one more.
func otherColumn(info *tableInfo) string {
	var other []string
	for c := range info.types {
		if !slices.Contains(chunkCols, c) {
			other = append(other, c)
		}
	}
	if len(other) != 1 {
		return ""
	}
	return other[0]
}

// useChunks makes name (info: nil when missing) the table of the pieces.
func (w *WriteBack) useChunks(ctx context.Context, name string, info *tableInfo) error {
	w.chunkName, w.chunksExist = name, info != nil
	if info == nil || w.db.pool == nil {
		return nil
	}
	w.chunkKind = "real[]"
	if info.types[w.t.Column][1] == "vector" {
		w.chunkKind = "vector"
		if w.vecNS == "" {
			if err := w.db.pool.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'`).Scan(&w.vecNS); err != nil {
				return w.dbError(err)
			}
		}
	}
	return nil
}

// checkPieces fails unless table name (info) is a table of pieces with
// vector column col, exactly: its columns, their types and its primary
// key. With mine false, it may be another write-back's (its ID column of
// any type, its vectors of any type a write-back writes).
func (w *WriteBack) checkPieces(name string, info *tableInfo, col string, mine bool) error {
	want := append(slices.Clone(chunkCols), col)
	for _, c := range want {
		ty, found := info.types[c]
		if !found {
			return w.chunkError(name, fmt.Sprintf("it has no column %q", c))
		}
		if !w.pieceTypeOK(c, ty, mine) {
			return w.chunkError(name, fmt.Sprintf("its column %q is %s", c, ty[0]))
		}
	}
	if len(info.types) != len(want) {
		var extra []string
		for c := range info.types {
			if !slices.Contains(want, c) {
				extra = append(extra, c)
			}
		}
		slices.Sort(extra)
		return w.chunkError(name, "it has other columns: "+strings.Join(extra, ", "))
	}
	if !slices.Equal(info.key, []string{"id", "chunk"}) {
		if len(info.key) == 0 {
			return w.chunkError(name, "it has no primary key")
		}
		return w.chunkError(name, fmt.Sprintf("its primary key is (%s)", strings.Join(info.key, ", ")))
	}
	return nil
}

// pieceTypeOK reports whether column col of a table of pieces may be of
// type ty: the ID column's type (any, unless mine), integers, or vectors
// (the write-back column's kind when mine and known).
func (w *WriteBack) pieceTypeOK(col string, ty [2]string, mine bool) bool {
	if w.db.pool == nil {
		switch col {
		case "id":
			return !mine || strings.EqualFold(ty[0], w.idType)
		case "chunk", "start", "end":
			return ty[1] == "INTEGER"
		}
		return ty[1] == "BLOB"
	}
	switch col {
	case "id":
		return !mine || ty[0] == w.idType
	case "chunk", "start", "end":
		return ty[1] == "int4" || ty[1] == "int8"
	}
	switch {
	case mine && w.kind == "vector":
		return ty[1] == "vector"
	case mine && w.kind == "real[]":
		return ty[1] == "_float4"
	}
	return ty[1] == "vector" || ty[1] == "_float4"
}
