package cluster

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Check returns a *[SettingsError] when the collection of j has
// unfinished jobs of another queue whose settings differ from j's; Insert
// checks again, under its lock.
func (q *Queue) Check(ctx context.Context, j Job) error {
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error { return q.checkSettings(ctx, tx, j) })
}

// SettingsError is a run refused because another run, with other
// settings, is filling the same collection: their records would mix.
type SettingsError struct {
	Collection string
	Queue      string // the other run's queue
	Setting    string // the first setting that differs, by name; "" when the other run's settings are unknown
	Have       string // the other run's value
	Want       string // this run's value
}

func (e *SettingsError) Error() string {
	if e.Setting == "" {
		return fmt.Sprintf("collection %q is being filled by another run (queue %s) whose settings are unknown", e.Collection, e.Queue)
	}
	return fmt.Sprintf("collection %q is being filled by another run (queue %s) with %s %q, not %q", e.Collection, e.Queue, e.Setting, e.Have, e.Want)
}

// checkSettings returns a *SettingsError when the collection of j has
// unfinished jobs of another queue whose settings differ from j's.
func (q *Queue) checkSettings(ctx context.Context, tx pgx.Tx, j Job) error {
	rows, err := tx.Query(ctx, "SELECT DISTINCT ON (queue) queue, args->'settings' FROM "+q.table()+
		" WHERE kind = 'salvo_embed_range' AND args->>'collection' = $1 AND queue <> $2 AND state NOT IN ('completed','discarded','cancelled') ORDER BY queue", j.Collection, j.Queue)
	if err != nil {
		return err
	}
	type other struct {
		queue    string
		settings map[string]string
	}
	others, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (other, error) {
		var o other
		err := r.Scan(&o.queue, &o.settings)
		return o, err
	})
	if err != nil {
		return err
	}
	for _, o := range others {
		if e := settingsDiff(j.Collection, o.queue, o.settings, j.Settings); e != nil {
			return e
		}
	}
	return nil
}

// settingsDiff names the first setting (by name) whose values differ; nil
// when none does (the same settings with other inputs).
func settingsDiff(collection, queue string, have, want map[string]string) *SettingsError {
	e := &SettingsError{Collection: collection, Queue: queue}
	if len(have) == 0 {
		return e
	}
	names := make([]string, 0, len(want)+len(have))
	for k := range want {
		names = append(names, k)
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		if have[k] != want[k] {
			e.Setting, e.Have, e.Want = k, have[k], want[k]
			return e
		}
	}
	return nil
}
