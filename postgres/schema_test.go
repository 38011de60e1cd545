package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

// A schema of version 1 (before collections remembered how they were
// embedded and items their kept fields) opens, keeps its vectors and gains
// the new columns, on both servers.
func TestUpgradeFromVersion1(t *testing.T) {
	for _, srv := range []func(testing.TB) *pgtest.Server{pgtest.PostgreSQL, pgtest.PGlite} {
		srv := srv(t)
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			url := srv.Fresh(t)
			s, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "old", Model: "m", Template: "{{.title}}"}); err != nil {
				t.Fatal(err)
			}
			items := []salvo.Item{{ID: "x", Key: storetest.Key(1)}, {ID: "y", Key: storetest.Key(2)}}
			if err := s.Put(ctx, "old", storetest.Entries(3, 1, 2), items); err != nil {
				t.Fatal(err)
			}
			s.Close()
			// Back to version 1's tables, as the first release wrote them.
			schema := strings.SplitN(strings.SplitN(url, "schema=", 2)[1], "&", 2)[0]
			srv.Exec(t, fmt.Sprintf(`DROP TRIGGER item_words ON %[1]s.items;
				DROP FUNCTION %[1]s.item_words(); DROP FUNCTION %[1]s.words_of(text, json);
				ALTER TABLE %[1]s.items DROP COLUMN words;
				ALTER TABLE %[1]s.collections DROP COLUMN prefix, DROP COLUMN endpoint, DROP COLUMN dimensions, DROP COLUMN digest, DROP COLUMN keep;
				ALTER TABLE %[1]s.items DROP COLUMN fields;
				UPDATE %[1]s.meta SET value = '1' WHERE key = 'schema_version'`, schema))

			s, err = postgres.Open(ctx, url)
			if err != nil {
				t.Fatalf("Open of a version 1 schema: %v", err)
			}
			defer s.Close()
			ids, vecs, dims, err := s.Vectors(ctx, "old")
			if err != nil || !slices.Equal(ids, []string{"x", "y"}) || dims != 3 || !slices.Equal(vecs[3:], storetest.Vector(2, 3)) {
				t.Errorf("after the upgrade: Vectors = %v %v %d, %v", ids, vecs, dims, err)
			}
			docs, err := s.Docs(ctx, "old", []string{"y"})
			if err != nil || docs[0].Text != "text 2" || docs[0].Fields != nil {
				t.Errorf("after the upgrade: Docs = %+v, %v", docs, err)
			}
			how := salvo.Collection{Name: "old", Model: "m", Endpoint: "/api/embed", Prefix: "p: ", Keep: "title"}
			if c, err := s.OpenCollection(ctx, how); err != nil || c.Prefix != "p: " || c.Keep != "title" || c.Template != "{{.title}}" || c.Count != 2 {
				t.Errorf("after the upgrade: OpenCollection = %+v, %v", c, err)
			}
			if err := s.Put(ctx, "old", nil, []salvo.Item{{ID: "x", Key: storetest.Key(1), Fields: []byte(`{"title":"X"}`)}}); err != nil {
				t.Errorf("after the upgrade: Put with kept fields: %v", err)
			}
			var v string
			if srv.Scan(t, "SELECT value FROM "+schema+".meta WHERE key = 'schema_version'", nil, &v); v != fmt.Sprint(postgres.SchemaVersion) {
				t.Errorf("schema_version %q after the upgrade, want %d", v, postgres.SchemaVersion)
			}
			// A second Open finds nothing to do.
			s2, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatalf("Open after the upgrade: %v", err)
			}
			s2.Close()
		})
	}
}
