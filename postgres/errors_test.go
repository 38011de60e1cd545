package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

// An ID that PostgreSQL text cannot hold fails the Put with an *IDError
// that states the facts and names no flag.
func TestIDError(t *testing.T) {
	s := open(t, pgtest.PostgreSQL(t))
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "m", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	es := storetest.Entries(4, 1)
	err := s.Put(ctx, "m", es, []salvo.Item{{ID: "a\x00b", Key: es[0].Key}})
	var ie *postgres.IDError
	if !errors.As(err, &ie) || ie.ID != "a\x00b" || ie.Collection != "m" || strings.Contains(err.Error(), "--") {
		t.Errorf("Put of a NUL ID: %v, want an *IDError without flags", err)
	}
}
