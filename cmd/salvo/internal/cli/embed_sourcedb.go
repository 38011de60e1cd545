package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"sync"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/dbcatalog"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/render"
)

// writeBackHook puts a write-back in front of the store once the
// collection is open, and returns what fills the report's write_back.
type writeBackHook func(*salvo.Collection, salvo.Store) (salvo.Store, func(*embedReport), error)

// writeBackReport is the write-back part of the embed summary.
type writeBackReport struct {
	Target         string `json:"target"`
	Created        string `json:"created_column,omitempty"` // the type of a column this run created
	Written        int    `json:"written"`                  // rows whose vector was written
	Duplicates     int    `json:"duplicates,omitempty"`     // rows written again by a later record of their ID
	FirstDuplicate string `json:"first_duplicate,omitempty"`
	// The pieces of long records (--chunk) go into ChunkTable.
	ChunkTable     string `json:"chunk_table,omitempty"`
	Pieces         int    `json:"pieces"`          // pieces written into ChunkTable (missing or changed)
	ChunkedRecords int    `json:"chunked_records"` // the records they belong to
}

// readDB sets the plan's input and text for the rows of --sql in
// --source-db and, with --write-back, the write-back into the user's
// table. Every mistake in the flags, the query or the write-back table is
// found here, before any request is sent or anything is written.
func (p *embedPlan) readDB(ctx context.Context, f *embedFlags, files []string, open *closers) error {
	switch {
	case f.sourceDB == "":
		return usageError("--sql and --write-back read from a database: give it with --source-db postgres://… or --source-db PATH.db")
	case f.sql == "":
		return usageError("--source-db needs --sql \"SELECT id, title, … FROM table\": its rows are the records")
	case len(files) > 0:
		return usageError("give input FILEs or --source-db, not both")
	}
	renderer, err := newRenderer(f)
	if err != nil {
		return err
	}
	db, err := dbcatalog.Open(ctx, f.sourceDB)
	if err != nil {
		return dbAdvice(err)
	}
	open.add(func() { db.Close() })
	if f.writeBack != "" {
		wb, err := db.WriteBack(ctx, f.writeBack, f.idField, 0)
		if err != nil {
			return dbAdvice(err)
		}
		if f.chunk != 0 {
			if err := wb.CheckChunks(ctx); err != nil {
				return dbAdvice(err)
			}
		}
		if p.store.collection == "" {
			p.store.collection = wb.Target().Table
		}
		p.input.writeBack = func(coll *salvo.Collection, st salvo.Store) (salvo.Store, func(*embedReport), error) {
			if err := wb.CheckDims(coll.Dims); err != nil {
				return nil, nil, dbAdvice(err)
			}
			wrapped, err := wb.Wrap(st)
			return wrapped, func(r *embedReport) {
				r.WriteBack = &writeBackReport{Target: wb.Target().String(), Created: wb.Created, Written: wb.Written,
					Duplicates: wb.Duplicates, FirstDuplicate: wb.FirstDuplicate, Pieces: wb.Pieces, ChunkedRecords: wb.ChunkedRecords}
				if f.chunk != 0 {
					r.WriteBack.ChunkTable = wb.ChunkTable()
				}
			}, err
		}
	}
	query := f.sql
	if f.changedSince != "" {
		// The mark first: a row written while the rows are read is read
		// again by the next poll rather than missed.
		if p.input.mark, err = db.MaxOf(ctx, f.sql, f.changedSince); err != nil {
			return fmt.Errorf("--changed-since %s: %w", f.changedSince, dbAdvice(err))
		}
		query = dbcatalog.SinceQuery(f.sql, f.changedSince, p.input.since)
	}
	// After the write-back's checks: a query that a new column must not
	// wait for is read differently.
	rows, err := db.Query(ctx, query, f.idField)
	if err != nil {
		return dbAdvice(err)
	}
	open.add(func() { rows.Close() })
	if p.store.collection == "" {
		p.store.collection = queryTable(f.sql)
	}
	limit := p.input.limit
	p.input.count = func(c *engine.Counters) {
		if n := db.Count(ctx, f.sql); n >= 0 {
			if limit > 0 && n > limit {
				n = limit
			}
			c.Total.Store(int64(n))
		}
	}
	p.text.renderer, p.text.kept = renderer, keepOf(f, renderer)
	if f.distributed {
		rows.Close() // it checked the query; each job reads its own range
		if p.input.dist, err = planDistributedSQL(ctx, f, p, db); err != nil {
			return dbAdvice(err)
		}
		p.input.count = func(*engine.Counters) {}
	}
	p.input.records = rowInputs(rows, renderer, p.text.kept)
	return nil
}

// fromTable finds the first table a query reads from; compiled when a
// query is first given.
var fromTable = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)\bfrom\s+(?:[\w"]+\.)?"?(\w+)`) })

// queryTable is the default collection of a query: the first table it
// reads from, else "sql".
func queryTable(query string) string {
	if m := fromTable().FindStringSubmatch(query); m != nil {
		return m[1]
	}
	return "sql"
}

// rowInputs yields the query's rows with their texts. A row that cannot be
// a record (its ID is NULL) is one failure, at its row number, and reading
// goes on; any other error ends the query.
func rowInputs(rows recordReader, rd *render.Renderer, kp keeper) iter.Seq[engine.Input] {
	return func(yield func(engine.Input) bool) {
		for {
			rec, err := rows.Next()
			if err == io.EOF {
				return
			}
			var (
				in engine.Input
				le *salvo.RecordError
			)
			switch {
			case errors.As(err, &le):
				in = engine.Input{Where: salvo.Where(le.File, le.Line), Err: err}
			case err != nil:
				in = engine.Input{Where: dbcatalog.Source, Err: dbAdvice(err)}
			default:
				in = engine.Input{ID: rec.ID, Where: rec.Where(), Fields: keptJSON(rec, kp.names, kp.all)}
				in.Text, in.Err = rd.Render(rec)
			}
			if !yield(in) || (err != nil && le == nil) {
				return // an error of the query ends it
			}
		}
	}
}
