package postgres

import "context"

// SetCopy turns COPY on or off, so that benchmarks can compare COPY with
// multi-row INSERTs on the same server.
func SetCopy(s *Store, on bool) { s.copy = on }

// DropWords removes the trigger that indexes the words of items, so that
// benchmarks can measure what the index costs a Put on the same server.
func DropWords(s *Store) error {
	_, err := s.pool.Exec(context.Background(), "DROP TRIGGER item_words ON "+s.q.s+".items")
	return err
}

// SetIterative turns pgvector's iterative scans off for filtered searches,
// as with pgvector before 0.8.
func SetIterative(s *Store, on bool) { s.noIterative = !on }
