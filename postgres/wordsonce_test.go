package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// wordsOfV5 is words_of as schema 5 defined it: the text and every kept
// value.
const wordsOfV5 = `CREATE OR REPLACE FUNCTION %[1]s.words_of(t text, f json) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	RETURN to_tsvector('simple', regexp_replace(coalesce(t, '') || ' ' ||
		coalesce((SELECT string_agg(value, ' ') FROM json_each_text(f)), ''), '[[:punct:][:space:]]+', ' ', 'g'));
END $$;
UPDATE %[1]s.items AS i SET words = %[1]s.words_of(c.text, i.fields) FROM %[1]s.cache AS c
	WHERE c.id = i.cache_id AND NOT EXISTS (SELECT 1 FROM %[1]s.chunks AS k WHERE k.collection_id = i.collection_id AND k.id = i.id);
UPDATE %[1]s.meta SET value = '%[2]d' WHERE key = 'schema_version'`

// A schema of the version before (each kept value's words indexed, even
// those the text holds) is upgraded with the items' words computed again:
// a record whose kept values are in its text scores as its text alone. A
// record cut into pieces keeps the words of all its pieces, on both
// servers.
func TestUpgradeWordsOnce(t *testing.T) {
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
			heat, p0, p1 := e("Heat (1995): a crime drama"), e("alpha bravo"), e("charlie zulu")
			items := []salvo.Item{{ID: "bare", Key: heat.Key}, {ID: "kept", Key: heat.Key, Fields: []byte(`{"title":"Heat","year":1995}`)},
				{ID: "long", Key: p0.Key, Fields: []byte(`{"title":"Quebec"}`), Chunk: &salvo.Chunk{Index: 0, Count: 2, Start: 0, End: 11}},
				{ID: "long", Key: p1.Key, Chunk: &salvo.Chunk{Index: 1, Count: 2, Start: 12, End: 24}}}
			if err := s.Put(ctx, "old", []salvo.Entry{heat, p0, p1}, items); err != nil {
				t.Fatal(err)
			}
			scores := func(word string) map[string]float32 {
				t.Helper()
				hits, err := s.TextSearch(ctx, "old", salvo.TextQuery{Words: []string{word}}, 10)
				if err != nil {
					t.Fatalf("TextSearch(%s): %v", word, err)
				}
				m := map[string]float32{}
				for _, h := range hits {
					m[h.ID] = h.Score
				}
				return m
			}
			schema := strings.SplitN(strings.SplitN(url, "schema=", 2)[1], "&", 2)[0]
			srv.Exec(t, fmt.Sprintf(wordsOfV5, schema, postgres.SchemaVersion-1))
			if got := scores("heat"); got["kept"] <= got["bare"] {
				t.Fatalf("before the upgrade, TextSearch(heat) scores %v: want kept (heat in its text and its fields) above bare", got)
			}
			s.Close()

			s, err = postgres.Open(ctx, url)
			if err != nil {
				t.Fatalf("Open of a version %d schema: %v", postgres.SchemaVersion-1, err)
			}
			defer s.Close()
			for _, word := range []string{"heat", "1995", "crime"} {
				if got := scores(word); len(got) != 2 || got["kept"] != got["bare"] {
					t.Errorf("after the upgrade, TextSearch(%s) scores %v: want bare and kept with the same score", word, got)
				}
			}
			var same bool
			if srv.Scan(t, "SELECT (SELECT words FROM "+schema+".items WHERE id = 'bare') = (SELECT words FROM "+schema+".items WHERE id = 'kept')", nil, &same); !same {
				t.Errorf("after the upgrade, kept's words differ from bare's: its kept values are in its text")
			}
			for _, word := range []string{"alpha", "zulu", "quebec"} {
				if got := scores(word); len(got) != 1 || got["long"] == 0 {
					t.Errorf("after the upgrade, TextSearch(%s) scores %v: want long (its pieces' words and its kept value)", word, got)
				}
			}
			var v string
			if srv.Scan(t, "SELECT value FROM "+schema+".meta WHERE key = 'schema_version'", nil, &v); v != fmt.Sprint(postgres.SchemaVersion) {
				t.Errorf("schema_version %q after the upgrade, want %d", v, postgres.SchemaVersion)
			}
		})
	}
}
