package postgres

// SetCopy turns COPY on or off, so that benchmarks can compare COPY with
// multi-row INSERTs on the same server.
func SetCopy(s *Store, on bool) { s.copy = on }
