package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo"
)

// recordRunOnce is [Store.RecordRun] without its retries.
func (s *Store) recordRunOnce(ctx context.Context, r salvo.RunRecord) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("record run of collection %q", r.Collection))
	}
	stats, args, err := r.JSON()
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, s.q.insertRun, r.Collection, r.Model, r.Started, r.Finished, stats, args)
	return s.wrap(err, "record run of collection %q", r.Collection)
}

// Runs returns the runs of a collection, or of all collections when
// collection is "", newest first; at most limit of them when limit > 0.
func (s *Store) Runs(ctx context.Context, collection string, limit int) ([]salvo.RunRecord, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, s.q.runs, collection, lim)
	if err != nil {
		return nil, s.wrap(err, "list runs")
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (salvo.RunRecord, error) {
		var (
			r           salvo.RunRecord
			stats, args string
		)
		if err := row.Scan(&r.ID, &r.Collection, &r.Model, &r.Started, &r.Finished, &stats, &args); err != nil {
			return r, err
		}
		r.Stats = json.RawMessage(stats)
		return r, json.Unmarshal([]byte(args), &r.Args)
	})
	if err != nil {
		return nil, s.wrap(err, "list runs")
	}
	return runs, nil
}
