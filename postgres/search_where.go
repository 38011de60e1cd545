package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pgvector/pgvector-go"
	"github.com/salvoembed/salvo"
)

var _ salvo.FilterSearcher = (*Store)(nil)

// UncertainFilterError is SearchWhere's error when an item it would
// return holds a value the database cannot compare as salvo does (see
// [salvo.Cond]); it wraps errors.ErrUnsupported, and salvo scans instead.
type UncertainFilterError struct {
	Collection string
	ID         string // the item, or "" when the whole filter cannot run in the database
	Why        string // when ID is ""
}

func (e *UncertainFilterError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("filter on collection %q: %s", e.Collection, e.Why)
	}
	return fmt.Sprintf("filter on collection %q: item %q holds a value the database cannot compare exactly", e.Collection, e.ID)
}

// sendable says whether PostgreSQL text can hold every field name and
// value of where: valid UTF-8 without NUL bytes.
func sendable(where []salvo.Cond) bool {
	ok := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
	for _, c := range where {
		if !ok(c.Field) {
			return false
		}
		for _, v := range c.Values {
			if !ok(v) {
				return false
			}
		}
	}
	return true
}

func (e *UncertainFilterError) Unwrap() error { return errors.ErrUnsupported }

// SearchWhere is [Store.Search] among the items whose kept fields satisfy
// every condition of where. The filter runs in the database, on the HNSW
// index when the collection has one: with pgvector 0.8 or later, its
// iterative scans go on until k items that match are found; when they
// stop short (or with an older pgvector, whose index gives at most
// ef_search candidates before filtering), the same query runs again
// without the index, exactly. So k hits come back whenever k items match.
func (s *Store) SearchWhere(ctx context.Context, collection string, query []float32, k int, exclude string, where []salvo.Cond) ([]salvo.Hit, error) {
	if len(where) == 0 {
		return s.Search(ctx, collection, query, k, exclude)
	}
	if !s.vec {
		return nil, fmt.Errorf("search in %s: vectors are stored without pgvector: %w", s.where, errors.ErrUnsupported)
	}
	if k <= 0 {
		return nil, nil
	}
	k = min(k, math.MaxInt32)
	if !sendable(where) {
		return nil, &UncertainFilterError{Collection: collection, Why: "PostgreSQL text cannot hold a NUL byte or invalid UTF-8 in a field name or value"}
	}
	b := &whereSQL{next: 4} // $1 the query, $2 k, $3 exclude
	grade, err := b.grade(where)
	if err != nil {
		return nil, err
	}
	var (
		hits   []salvo.Hit
		grades []int
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cid, dims, err := s.collection(ctx, tx, collection, false)
		if err != nil {
			return err
		}
		if dims == 0 {
			return nil
		}
		if len(query) != dims {
			return &salvo.DimensionError{Collection: collection, Have: len(query), Want: dims}
		}
		set := []string{fmt.Sprintf("SET LOCAL hnsw.ef_search = %d", min(max(40, k), 1000))}
		if iterativeScans(s.srv.Pgvector) && !s.noIterative {
			set = append(set, "SET LOCAL hnsw.iterative_scan = relaxed_order")
		}
		for _, q := range set {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		sql := s.q.searchWhere(cid, dims, quoteIdent(s.srv.VectorSchema), grade)
		args := append([]any{pgvector.NewVector(query), k, exclude}, b.args...)
		run := func() error {
			hits, grades = hits[:0], grades[:0]
			rows, err := tx.Query(ctx, sql, args...)
			if err != nil {
				return err
			}
			var (
				h     salvo.Hit
				score float64
				g     int
			)
			_, err = pgx.ForEachRow(rows, []any{&h.ID, &score, &g}, func() error {
				h.Score = float32(score)
				hits, grades = append(hits, h), append(grades, g)
				return nil
			})
			return err
		}
		if err := run(); err != nil || len(hits) >= k {
			return err
		}
		// Fewer than k: the index may have stopped short. Exactly, then.
		if _, err := tx.Exec(ctx, "SET LOCAL enable_indexscan = off"); err != nil {
			return err
		}
		return run()
	})
	var (
		de *salvo.DimensionError
		pe *pgconn.PgError
	)
	switch {
	case errors.As(err, &de) || errors.Is(err, salvo.ErrNoCollection):
		return nil, err
	case errors.As(err, &pe) && pe.Code == "22P05": // a \u0000 in a string
		return nil, &UncertainFilterError{Collection: collection, Why: "the database cannot read a kept field as text (a \\u0000 in a string)"}
	case err != nil:
		return nil, s.wrap(err, "search collection %q", collection)
	}
	for i, g := range grades {
		if g < 2 {
			return nil, &UncertainFilterError{Collection: collection, ID: hits[i].ID}
		}
	}
	return hits, nil
}

// iterativeScans says whether pgvector version v (e.g. "0.8.0") has
// iterative index scans (hnsw.iterative_scan): 0.8 and later.
func iterativeScans(v string) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return major > 0 || minor >= 8
}

// searchWhere is search with a filter: the items graded 1 or 2 by grade
// (see whereSQL), nearest first. Iterative scans return them in about the
// right order; the outer query sorts them.
func (q *queries) searchWhere(cid int64, dims int, vecSchema, grade string) string {
	v := fmt.Sprintf("%s.vector(%d)", vecSchema, dims)
	d := fmt.Sprintf("i.embedding::%s OPERATOR(%s.<=>) $1::%s", v, vecSchema, v)
	return fmt.Sprintf(`WITH r AS MATERIALIZED (
		SELECT i.id, %s AS d, %s AS g FROM %s.items i
		WHERE i.collection_id = %d AND ($3::text = '' OR i.id <> $3::text) AND %s >= 1
		ORDER BY %s LIMIT $2)
		SELECT id, 1 - d, g FROM r ORDER BY d, id`, d, grade, q.s, cid, grade, d)
}
