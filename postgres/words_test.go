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
)

// A schema of version 2 (before the words of items were indexed) is
// upgraded with the items already stored indexed, on both servers; fields
// with escapes PostgreSQL's text cannot hold are indexed too.
func TestUpgradeFromVersion2(t *testing.T) {
	for _, srv := range []func(testing.TB) *pgtest.Server{pgtest.PostgreSQL, pgtest.PGlite} {
		srv := srv(t)
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			url := srv.Fresh(t)
			s, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "old", Model: "m"}); err != nil {
				t.Fatal(err)
			}
			e := func(text string) salvo.Entry {
				return salvo.Entry{Key: salvo.KeySpec{Model: "m"}.Key(text), Vector: []float32{1, float32(len(text))}, Text: text}
			}
			a, b := e("An old crime story"), e("A love story")
			items := []salvo.Item{{ID: "a", Key: a.Key, Fields: []byte(`{"title":"Heat","year":1995}`)},
				{ID: "b", Key: b.Key, Fields: []byte(`{"title":"nul \u0000 zanzibar"}`)}}
			if err := s.Put(ctx, "old", []salvo.Entry{a, b}, items); err != nil {
				t.Fatal(err)
			}
			s.Close()
			schema := strings.SplitN(strings.SplitN(url, "schema=", 2)[1], "&", 2)[0]
			srv.Exec(t, fmt.Sprintf(`DROP TRIGGER item_words ON %[1]s.items;
				DROP FUNCTION %[1]s.item_words(); DROP FUNCTION %[1]s.words_of(text, json);
				ALTER TABLE %[1]s.items DROP COLUMN words;
				UPDATE %[1]s.meta SET value = '2' WHERE key = 'schema_version'`, schema))

			s, err = postgres.Open(ctx, url)
			if err != nil {
				t.Fatalf("Open of a version 2 schema: %v", err)
			}
			defer s.Close()
			for words, want := range map[string][]string{"crime": {"a"}, "heat": {"a"}, "1995": {"a"}, "zanzibar": {"b"}, "story": {"a", "b"}} {
				hits, err := s.TextSearch(ctx, "old", salvo.TextQuery{Words: []string{words}}, 10)
				var ids []string
				for _, h := range hits {
					ids = append(ids, h.ID)
				}
				slices.Sort(ids)
				if err != nil || !slices.Equal(ids, want) {
					t.Errorf("after the upgrade, TextSearch(%s) = %q, %v; want %q", words, ids, err, want)
				}
			}
			var v string
			if srv.Scan(t, "SELECT value FROM "+schema+".meta WHERE key = 'schema_version'", nil, &v); v != fmt.Sprint(postgres.SchemaVersion) {
				t.Errorf("schema_version %q after the upgrade, want %d", v, postgres.SchemaVersion)
			}
		})
	}
}
