package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// open opens a store in a new schema of srv.
func open(tb testing.TB, srv *pgtest.Server) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), srv.Fresh(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestStore runs the conformance suite on PostgreSQL 15 without pgvector
// (Debian packages none for it) and on PGlite with pgvector.
func TestStore(t *testing.T) {
	t.Run("PostgreSQL", func(t *testing.T) {
		srv := pgtest.PostgreSQL(t)
		storetest.Run(t, func(t *testing.T) salvo.Store {
			s := open(t, srv)
			if s.VectorStorage() != postgres.VectorsBytea {
				t.Fatalf("PostgreSQL 15 without pgvector stores vectors as %s", s.VectorStorage())
			}
			return s
		})
	})
	t.Run("PGlite+pgvector", func(t *testing.T) {
		srv := pgtest.PGlite(t)
		storetest.Run(t, func(t *testing.T) salvo.Store {
			s := open(t, srv)
			if s.VectorStorage() != postgres.VectorsPgvector {
				t.Fatalf("PGlite with pgvector stores vectors as %s", s.VectorStorage())
			}
			return s
		})
	})
}
