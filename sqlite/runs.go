package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/salvoembed/salvo"
)

// RecordRun appends r to the run ledger. Times are kept to the millisecond.
func (s *Store) RecordRun(ctx context.Context, r salvo.RunRecord) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("record run of collection %q", r.Collection))
	}
	stats, args, err := r.JSON()
	if err != nil {
		return err
	}
	_, err = s.st.insertRun.ExecContext(ctx, r.Collection, r.Model,
		r.Started.UnixMilli(), r.Finished.UnixMilli(), stats, args)
	if err != nil {
		return fmt.Errorf("record run of collection %q in %s: %w", r.Collection, s.path, err)
	}
	return nil
}

// Runs returns the runs of a collection, or of all collections when
// collection is "", newest first; at most limit of them when limit > 0.
func (s *Store) Runs(ctx context.Context, collection string, limit int) ([]salvo.RunRecord, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.st.runs.QueryContext(ctx, collection, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", s.path, err)
	}
	defer rows.Close()
	var runs []salvo.RunRecord
	for rows.Next() {
		var (
			r                 salvo.RunRecord
			started, finished int64
			stats, args       string
		)
		if err := rows.Scan(&r.ID, &r.Collection, &r.Model, &started, &finished, &stats, &args); err != nil {
			return nil, fmt.Errorf("list runs in %s: %w", s.path, err)
		}
		r.Started, r.Finished = time.UnixMilli(started), time.UnixMilli(finished)
		r.Stats = json.RawMessage(stats)
		if err := json.Unmarshal([]byte(args), &r.Args); err != nil {
			return nil, fmt.Errorf("list runs in %s: arguments of run %d: %w", s.path, r.ID, err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", s.path, err)
	}
	return runs, nil
}
