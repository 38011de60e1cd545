package dbcatalog

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/salvoembed/salvo"
)

// Source is the file name records from a query carry: a record's place is
// "sql:N", its row number in the result.
const Source = "sql"

// PageSize is how many rows a page (a FETCH from a PostgreSQL cursor, or a
// LIMIT of a SQLite query) holds.
const PageSize = 1000

// Rows yields the rows of a query as records. It is not safe for
// concurrent use.
type Rows struct {
	db      *DB
	ctx     context.Context
	query   string
	idCol   string
	columns []string
	idIdx   int

	page []*salvo.Record
	errs []error // per row of page: a row that could not become a record
	next int     // index in page
	// offset is how many characters the statement sent has before the
	// query (DECLARE …), for error positions.
	offset int
	row    int // rows read so far
	done   bool

	// PostgreSQL: a cursor on a connection of its own, in a read-only
	// transaction (tx) or held past it (held); PGlite: a plain query on a
	// connection of its own (its one backend would otherwise wait for the
	// transaction).
	pc     *pgxpool.Conn
	tx     pgx.Tx
	held   bool
	conn   *pgx.Conn
	pgrows pgx.Rows
	err    error

	// SQLite: the temporary table holding the query's result, the name
	// its rowid goes by ("" to page by offset), and the last one read.
	snap    string
	key     string
	lastKey int64
}

// Query runs query and prepares to stream its rows. It fails, before any
// row is read, when the query fails or has no column named idColumn.
func (db *DB) Query(ctx context.Context, query, idColumn string) (*Rows, error) {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	if query == "" {
		return nil, ErrEmptyQuery
	}
	r := &Rows{db: db, ctx: ctx, query: query, idCol: idColumn}
	var err error
	if db.pool != nil {
		err = r.startPostgres()
	} else {
		err = r.startSQLite()
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	r.idIdx = -1
	for i, c := range r.columns {
		if c == idColumn {
			r.idIdx = i
		}
	}
	if r.idIdx < 0 {
		r.Close()
		return nil, &NoIDColumnError{Column: idColumn, Columns: r.columns}
	}
	return r, nil
}

// Columns are the names of the query's columns.
func (r *Rows) Columns() []string { return r.columns }

func (r *Rows) queryError(err error) error { return r.db.queryError(r.query, r.offset, err) }

// queryError is the *QueryError of query; offset is how many characters
// the statement sent has before the query, for PostgreSQL's positions.
func (db *DB) queryError(query string, offset int, err error) error {
	e := &QueryError{DB: db.where, SQLite: db.lite != nil, Message: err.Error(), Err: err}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e.Message = pe.Message
		// Position counts characters from 1, in the statement sent.
		if at := int(pe.Position) - 1 - offset; pe.Position > 0 && at >= 0 && at < utf8.RuneCountInString(query) {
			e.At = excerpt(query, at)
		}
	}
	return e
}

// excerpt is up to 30 characters of s from the at-th one.
func excerpt(s string, at int) string {
	r := []rune(s)[at:]
	return string(r[:min(len(r), 30)])
}

// add turns a row into a record (or a row error) on the page.
func (r *Rows) add(vals []any, fds []pgconn.FieldDescription) {
	line := r.row + len(r.page) + 1
	rec := &salvo.Record{Source: Source, Line: line, Fields: make(map[string]any, len(vals))}
	for i, v := range vals {
		var oid uint32
		if fds != nil {
			oid = fds[i].DataTypeOID
		}
		rec.Fields[r.columns[i]] = Value(v, oid)
	}
	var err error
	switch id := rec.Fields[r.idCol].(type) {
	case nil:
		err = &salvo.RecordError{File: Source, Line: line, Err: fmt.Errorf("the ID column %q is NULL", r.idCol)}
	case string:
		if id == "" {
			err = &salvo.RecordError{File: Source, Line: line, Err: fmt.Errorf("the ID column %q is empty", r.idCol)}
		}
		rec.ID = id
	case json.Number:
		rec.ID = id.String()
	default:
		b, _ := json.Marshal(id)
		rec.ID = string(b)
	}
	r.page = append(r.page, rec)
	r.errs = append(r.errs, err)
}

// Next returns the next row's record, a *[salvo.RecordError] for a row that
// cannot be a record (its ID is NULL or empty), or io.EOF after the last
// row. After a row's error, Next goes on with the next row; other errors
// end the reading.
func (r *Rows) Next() (*salvo.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.pgrows != nil {
		return r.nextStreamed()
	}
	for r.next >= len(r.page) {
		if r.done {
			return nil, io.EOF
		}
		r.row += len(r.page)
		var err error
		if r.db.lite != nil {
			err = r.fetchSQLite()
		} else {
			err = r.fetchPostgres()
		}
		if err != nil {
			r.err = err
			return nil, err
		}
	}
	rec, err := r.page[r.next], r.errs[r.next]
	r.next++
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Close ends the query.
func (r *Rows) Close() error {
	if r.pgrows != nil {
		r.pgrows.Close()
		r.pgrows = nil
		r.err = errors.New("the query's rows are closed")
	}
	if r.conn != nil {
		r.conn.Close(context.WithoutCancel(r.ctx))
		r.conn = nil
	}
	var err error
	if r.tx != nil {
		err = r.tx.Rollback(context.WithoutCancel(r.ctx))
		r.tx = nil
	}
	if r.held {
		_, err = r.pc.Exec(context.WithoutCancel(r.ctx), "CLOSE salvo_rows")
		r.held = false
	}
	if r.pc != nil {
		r.pc.Release()
		r.pc = nil
	}
	if r.snap != "" {
		_, err = r.db.lite.ExecContext(context.WithoutCancel(r.ctx), "DROP TABLE IF EXISTS "+r.snap)
		r.snap = ""
	}
	return err
}

// Count returns the number of rows the query gives (for progress), or -1
// when counting fails.
func (db *DB) Count(ctx context.Context, query string) int {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	var n int64
	var err error
	if db.pool != nil {
		err = db.pool.QueryRow(ctx, "SELECT count(*) FROM ("+query+") AS q").Scan(&n)
	} else {
		err = db.lite.QueryRowContext(ctx, "SELECT count(*) FROM ("+query+")").Scan(&n)
	}
	if err != nil {
		return -1
	}
	return int(n)
}

// PostgreSQL type OIDs whose values need more than their Go type says.
const (
	oidDate = 1082
)

// Value turns a column value, as pgx or database/sql decodes it, into what
// a record's fields hold: string, bool, nil, json.Number, []any or
// map[string]any. oid is the PostgreSQL type (0 for SQLite).
func Value(v any, oid uint32) any {
	switch x := v.(type) {
	case nil, string, bool:
		return x
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int16:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int8:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int:
		return json.Number(strconv.Itoa(x))
	case uint32:
		return json.Number(strconv.FormatUint(uint64(x), 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case float64:
		return float(x, 64)
	case float32:
		return float(float64(x), 32)
	case []byte:
		return string(x)
	case time.Time:
		if oid == oidDate {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case [16]byte: // uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Numeric:
		if !x.Valid {
			return nil
		}
		if b, err := x.MarshalJSON(); err == nil {
			return json.Number(b)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Value(e, 0)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Value(e, 0)
		}
		return out
	case driver.Valuer:
		if dv, err := x.Value(); err == nil && dv != v {
			return Value(dv, oid)
		}
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// float is a float as its shortest spelling; NaN and infinities, which
// JSON has no numbers for, as strings.
func float(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits))
}
