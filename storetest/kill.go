package storetest

import (
	"context"
	"fmt"

	"github.com/salvoembed/salvo"
)

// KillCommitted is how many items a kill test's writer commits before the
// transaction it is killed in; KillItems has 10 more.
const KillCommitted = 100

// KillItems are the items of a store's kill -9 test: the first
// KillCommitted are committed by [KillWriterCommits], the last 10 are the
// ones in flight when the writer dies.
func KillItems() []salvo.Item {
	items := make([]salvo.Item, KillCommitted+10)
	for i := range items {
		items[i] = salvo.Item{ID: fmt.Sprint(i), Key: Key(i)}
	}
	return items
}

// KillWriterCommits is the first half of a kill -9 test's writer process:
// it opens collection "c" in s and commits the first KillCommitted of
// KillItems, 10 per Put, with 8-dimensional vectors. The caller then opens
// a transaction of its own store's kind for the rest and kills itself.
func KillWriterCommits(ctx context.Context, s salvo.Store) ([]salvo.Item, error) {
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "c", Model: "m"}); err != nil {
		return nil, err
	}
	items := KillItems()
	for i := 0; i < KillCommitted; i += 10 {
		seeds := make([]int, 10)
		for j := range seeds {
			seeds[j] = i + j
		}
		if err := s.Put(ctx, "c", Entries(8, seeds...), items[i:i+10]); err != nil {
			return nil, err
		}
	}
	return items, nil
}
