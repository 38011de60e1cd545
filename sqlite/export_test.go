package sqlite

import "context"

// DropWords removes the triggers that index the words of items, so that
// benchmarks can measure what the index costs a Put on the same file.
func DropWords(s *Store) error {
	for _, t := range []string{"items_words_insert", "items_words_update", "items_words_delete"} {
		if _, err := s.w.ExecContext(context.Background(), "DROP TRIGGER "+t); err != nil {
			return err
		}
	}
	return nil
}
