package postgres

// SetCopy turns COPY on or off, so that benchmarks can compare COPY with
// multi-row INSERTs on the same server.
func SetCopy(s *Store, on bool) { s.copy = on }

// SetIterative turns pgvector's iterative scans off for filtered searches,
// as with pgvector before 0.8.
func SetIterative(s *Store, on bool) { s.noIterative = !on }
