package dbcatalog

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Mark is the highest value a column of a query's rows had when [DB.MaxOf]
// read it: where the next read of the rows changed since then starts (see
// [SinceQuery]). The zero Mark is "no value yet": every row.
type Mark struct {
	literal string // the value as an SQL literal of the database it came from
}

// IsZero reports whether m holds no value.
func (m Mark) IsZero() bool { return m.literal == "" }

// String is the value as an SQL literal, for messages; "" when m is zero.
func (m Mark) String() string { return m.literal }

// MaxOf returns the highest value of column over the rows of query (the
// zero Mark when it has no rows, or only NULLs in column). The column may
// be of any type the database orders: a timestamp, a number, a text.
func (db *DB) MaxOf(ctx context.Context, query, column string) (Mark, error) {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	if query == "" {
		return Mark{}, ErrEmptyQuery
	}
	cols, err := db.columnsOf(ctx, query)
	if err != nil {
		return Mark{}, err
	}
	if !slices.Contains(cols, column) {
		// SQLite would read an unknown "name" as a text: ask first.
		return Mark{}, &NoColumnError{Column: column, Columns: cols}
	}
	col := quoteColumn(column)
	if db.pool != nil {
		// As text: a literal that PostgreSQL reads back as the column's
		// type in `column > literal`, to the microsecond.
		var v *string
		if err := db.pool.QueryRow(ctx, "SELECT max("+col+")::text FROM ("+query+") AS salvo_since").Scan(&v); err != nil {
			return Mark{}, db.queryError(query, 0, err)
		}
		if v == nil {
			return Mark{}, nil
		}
		return Mark{quoteText(*v)}, nil
	}
	// SQLite orders by storage class, then value: keep both.
	var typ string
	var v *string
	err = db.lite.QueryRowContext(ctx, "SELECT typeof(m), CAST(m AS TEXT) FROM (SELECT max("+col+") AS m FROM ("+query+"))").Scan(&typ, &v)
	if err != nil {
		return Mark{}, db.queryError(query, 0, err)
	}
	switch {
	case v == nil || typ == "null":
		return Mark{}, nil
	case typ == "integer" || typ == "real":
		return Mark{*v}, nil
	case typ == "blob":
		return Mark{"X'" + hex.EncodeToString([]byte(*v)) + "'"}, nil
	}
	return Mark{quoteText(*v)}, nil
}

// SinceQuery is query restricted to the rows whose column is past m: the
// rows added or changed since the read that m comes from, when column is
// set on every write (an updated_at). A zero m leaves every row.
func SinceQuery(query, column string, m Mark) string {
	query = strings.TrimRight(strings.TrimSpace(query), ";")
	if m.IsZero() {
		return query
	}
	return "SELECT * FROM (" + query + ") AS salvo_since WHERE " + quoteColumn(column) + " > " + m.literal
}

// columnsOf returns the names of the columns of query's result.
func (db *DB) columnsOf(ctx context.Context, query string) ([]string, error) {
	sql := "SELECT * FROM (" + query + ") AS salvo_since LIMIT 0"
	if db.pool != nil {
		rows, err := db.pool.Query(ctx, sql)
		if err != nil {
			return nil, db.queryError(query, 0, err)
		}
		defer rows.Close()
		var cols []string
		for _, fd := range rows.FieldDescriptions() {
			cols = append(cols, fd.Name)
		}
		return cols, nil
	}
	rows, err := db.lite.QueryContext(ctx, sql)
	if err != nil {
		return nil, db.queryError(query, 0, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, db.queryError(query, 0, err)
	}
	return cols, nil
}

// NoColumnError is a query result without the column a read was asked to
// follow ([DB.MaxOf]).
type NoColumnError struct {
	Column  string
	Columns []string // the columns there are
}

func (e *NoColumnError) Error() string {
	return fmt.Sprintf("the query's result has no column %q (its columns: %s)", e.Column, strings.Join(e.Columns, ", "))
}

// quoteText is s as an SQL string literal.
func quoteText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
