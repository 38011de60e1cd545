package cli

import (
	"context"
	"testing"

	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// salvo status twice on PGlite: each asks for the jobs of --distributed,
// and the second used to fail on the statement the first had prepared in
// PGlite's one shared session ("prepared statement … already exists").
func TestStatusTwiceOnPGlite(t *testing.T) {
	srv := pgtest.PGlite(t)
	db := srv.Fresh(t)
	st, err := postgres.Open(context.Background(), db) // salvo's tables, no collection
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for i := range 3 {
		if r := run(t, "", "status", "--db", db); r.code != ExitOK {
			t.Fatalf("status #%d on PGlite: exit %d: %s", i+1, r.code, r.err)
		}
	}
}
