package postgres

import "context"

// SetCopy turns COPY on or off, so that benchmarks can compare COPY with
// multi-row INSERTs on the same server.
func SetCopy(s *Store, on bool) { s.copy = on }

// SetIterative turns pgvector's iterative scans off for filtered searches,
// as with pgvector before 0.8.
func SetIterative(s *Store, on bool) { s.noIterative = !on }

// Analyze gathers the planner's statistics of the items, as autovacuum
// does on a server, so that the planner picks the HNSW index.
func Analyze(s *Store) error {
	_, err := s.pool.Exec(context.Background(), "ANALYZE "+s.q.s+".items")
	return err
}
