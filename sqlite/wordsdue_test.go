package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
)

// wordsIndexed counts the items the words index holds.
func wordsIndexed(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM item_words`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// putTexts stores one item per text, IDs in the order given.
func putTexts(t *testing.T, s *Store, ids, texts []string) {
	t.Helper()
	var (
		es    []salvo.Entry
		items []salvo.Item
	)
	for i, text := range texts {
		e := salvo.Entry{Key: salvo.KeySpec{Model: "m"}.Key(text), Vector: []float32{1, float32(i)}, Text: text}
		if !slices.ContainsFunc(es, func(o salvo.Entry) bool { return o.Key == e.Key }) {
			es = append(es, e)
		}
		items = append(items, salvo.Item{ID: ids[i], Key: e.Key})
	}
	if err := s.Put(context.Background(), "c", es, items); err != nil {
		t.Fatal(err)
	}
}

// A Put indexes no words (the work of the next search by words), and the
// search finds them all; records of equal scores come in the order they
// were stored, as when Put indexed them.
func TestPutIndexesNoWords(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	putTexts(t, s, []string{"zz", "mm", "aa"}, []string{"a red fox", "a red fox", "a red fox"})
	if n := wordsIndexed(t, s); n != 0 {
		t.Errorf("after Put the words index holds %d items, want 0 (indexed by the next search)", n)
	}
	hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"fox"}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	if !slices.Equal(ids, []string{"zz", "mm", "aa"}) {
		t.Errorf("TextSearch(fox) = %q, want the order stored: [zz mm aa]", ids)
	}
	if n := wordsIndexed(t, s); n != 3 {
		t.Errorf("after a search the words index holds %d items, want 3", n)
	}
}

// A store opened read-only indexes the words due through a connection of
// its own: the search finds what salvo embed stored.
func TestReadOnlyIndexesWords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	putTexts(t, w, []string{"a", "b"}, []string{"a red fox", "a lazy dog"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.WordsDue(ctx); err != nil || n != 2 {
		t.Fatalf("WordsDue = %d, %v; want 2", n, err)
	}
	hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"dog"}}, 10)
	if err != nil || len(hits) != 1 || hits[0].ID != "b" {
		t.Fatalf("TextSearch(dog) on a read-only store = %+v, %v; want b", hits, err)
	}
	if n, err := s.WordsDue(ctx); err != nil || n != 0 {
		t.Errorf("WordsDue after the search = %d, %v; want 0", n, err)
	}
	if err := s.Put(ctx, "c", nil, []salvo.Item{{ID: "x"}}); err == nil {
		t.Error("Put on a read-only store succeeded: only the words index may be written")
	}
}

// When a read-only store cannot write its words index (salvo embed holds
// the lock past wordsBusy here), IndexWords says so and TextSearch ranks by
// the index as it stands; IndexWords indexes what is due once it can.
func TestReadOnlyWordsBusy(t *testing.T) {
	defer func(d time.Duration) { wordsBusy = d }(wordsBusy)
	wordsBusy = 20 * time.Millisecond
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	putTexts(t, w, []string{"a"}, []string{"a red fox"})
	if _, err := w.IndexWords(ctx); err != nil {
		t.Fatal(err)
	}
	putTexts(t, w, []string{"b"}, []string{"a lazy dog"})
	s, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := w.w.BeginTx(ctx, nil) // the writer's lock, as a run's
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.IndexWords(ctx); err == nil || !isBusy(err) {
		t.Errorf("IndexWords under another's lock = %d, %v; want SQLITE_BUSY", n, err)
	}
	hits, err := s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"fox", "dog"}}, 10)
	if err != nil || len(hits) != 1 || hits[0].ID != "a" {
		t.Errorf("TextSearch under another's lock = %+v, %v; want a (the index as it stands)", hits, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// TextSearch leaves the index alone for wordsBackoff after a failure;
	// IndexWords tries at once.
	if n, err := s.IndexWords(ctx); err != nil || n != 1 {
		t.Fatalf("IndexWords once the lock is gone = %d, %v; want 1", n, err)
	}
	hits, err = s.TextSearch(ctx, "c", salvo.TextQuery{Words: []string{"dog"}}, 10)
	if err != nil || len(hits) != 1 || hits[0].ID != "b" {
		t.Errorf("TextSearch once the lock is gone = %+v, %v; want b", hits, err)
	}
}
