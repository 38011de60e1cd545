package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Poll is what one poll of salvo embed --watch did.
type Poll struct {
	At       time.Time // when it ended
	Duration time.Duration
	// What it did to the collection's records.
	Added, Updated, Deleted, Unchanged, Failed int64
	// Err is set when the poll ended in an error (its records are read
	// again at the next poll).
	Err bool
}

// watchMetrics are the metrics of --watch, registered at the first poll.
type watchMetrics struct {
	polls, errors prometheus.Counter
	records       *prometheus.CounterVec
	last, at      prometheus.Gauge
}

func newWatchMetrics(reg prometheus.Registerer) *watchMetrics {
	w := &watchMetrics{
		polls:   prometheus.NewCounter(prometheus.CounterOpts{Name: "salvo_watch_polls_total", Help: "Polls of salvo embed --watch."}),
		errors:  prometheus.NewCounter(prometheus.CounterOpts{Name: "salvo_watch_poll_errors_total", Help: "Polls that ended in an error; the next poll reads their records again."}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "salvo_watch_records_total", Help: "Records the polls found, by what they did: added, updated, deleted (--prune), unchanged, failed."}, []string{"change"}),
		last:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "salvo_watch_last_poll_seconds", Help: "How long the last poll took."}),
		at:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "salvo_watch_last_poll_timestamp_seconds", Help: "When the last poll ended (Unix time): alert when it is old."}),
	}
	reg.MustRegister(w.polls, w.errors, w.records, w.last, w.at)
	return w
}

// Poll adds a poll of --watch: the set then reports the salvo_watch_*
// metrics.
func (s *Set) Poll(p Poll) {
	s.mu.Lock()
	if s.watch == nil {
		s.watch = newWatchMetrics(s.reg)
	}
	w := s.watch
	s.mu.Unlock()
	w.polls.Inc()
	if p.Err {
		w.errors.Inc()
	}
	for change, n := range map[string]int64{"added": p.Added, "updated": p.Updated, "deleted": p.Deleted, "unchanged": p.Unchanged, "failed": p.Failed} {
		w.records.WithLabelValues(change).Add(float64(n))
	}
	w.last.Set(p.Duration.Seconds())
	w.at.Set(float64(p.At.UnixNano()) / 1e9)
}
