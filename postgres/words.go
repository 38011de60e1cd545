package postgres

import (
	"context"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo"
)

var _ salvo.TextSearcher = (*Store)(nil)

// wordsSchema is migration 4 → 5: the words of each item (its text and
// the values of its kept fields) in a tsvector column
// with a GIN index, parsed with the 'simple' configuration (lower case, no
// stemming and no stop words: catalogs are full of names, in any
// language). A trigger computes them as the item is written, in its
// transaction; the items already stored get theirs here. Migration 5 → 6
// (wordsonce.go) replaces words_of: a kept value the text holds is left out.
const wordsSchema = `ALTER TABLE {{s}}.items ADD COLUMN IF NOT EXISTS words tsvector;
CREATE OR REPLACE FUNCTION {{s}}.words_of(t text, f json) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v text := coalesce(t, '');
BEGIN
	IF f IS NOT NULL AND json_typeof(f) = 'object' AND strpos(f::text, '\u') = 0 THEN
		v := v || ' ' || coalesce((SELECT string_agg(value, ' ') FROM json_each_text(f)), '');
	ELSIF f IS NOT NULL THEN
		-- An escape PostgreSQL's text cannot hold (\u0000, a lone
		-- surrogate) fails json_each_text: the JSON text is taken instead.
		BEGIN
			v := v || ' ' || coalesce((SELECT string_agg(value, ' ') FROM json_each_text(f)), '');
		EXCEPTION WHEN others THEN
			v := v || ' ' || f::text;
		END;
	END IF;
	-- Punctuation separates words, as for SQLite and salvo's queries:
	-- the parser would keep "C.H.U.D." or "R2-D2" whole.
	RETURN to_tsvector('simple', regexp_replace(v, '[[:punct:][:space:]]+', ' ', 'g'));
END $$;
CREATE OR REPLACE FUNCTION {{s}}.item_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.words := {{s}}.words_of((SELECT text FROM {{s}}.cache WHERE id = NEW.cache_id), NEW.fields);
	RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS item_words ON {{s}}.items;
CREATE TRIGGER item_words BEFORE INSERT OR UPDATE OF cache_id, fields ON {{s}}.items
	FOR EACH ROW EXECUTE FUNCTION {{s}}.item_words();
UPDATE {{s}}.items AS i SET words = {{s}}.words_of(c.text, i.fields) FROM {{s}}.cache AS c WHERE c.id = i.cache_id;
CREATE INDEX IF NOT EXISTS items_words ON {{s}}.items USING gin (words)`

// TextSearch ranks the collection's items by ts_rank_cd (cover density:
// how often and how close together the words are) over their text and
// kept fields: any of q's words, or all of them as a phrase.
func (s *Store) TextSearch(ctx context.Context, collection string, q salvo.TextQuery, k int) ([]salvo.Hit, error) {
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return nil, err
	}
	tsq := tsQuery(q)
	if k <= 0 || tsq == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT i.id, ts_rank_cd(i.words, q) AS score
		FROM `+s.q.s+`.items AS i, to_tsquery('simple', $2) AS q
		WHERE i.collection_id = $1 AND i.words @@ q
		ORDER BY score DESC, i.id LIMIT $3`, cid, tsq, k)
	if err != nil {
		return nil, s.wrap(err, "search the words of collection %q", collection)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (salvo.Hit, error) {
		var (
			h     salvo.Hit
			score float64
		)
		err := r.Scan(&h.ID, &score)
		h.Score = float32(score)
		return h, err
	})
	if err != nil {
		return nil, s.wrap(err, "search the words of collection %q", collection)
	}
	return hits, nil
}

// tsQuery writes q for to_tsquery: each word quoted, of letters and digits
// only (the rest separates words), joined by | (any) or <-> (a phrase).
func tsQuery(q salvo.TextQuery) string {
	op := " | "
	if q.Phrase {
		op = " <-> "
	}
	var parts []string
	for _, w := range q.Words {
		for _, f := range strings.FieldsFunc(w, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
		}) {
			parts = append(parts, "'"+f+"'")
		}
	}
	return strings.Join(parts, op)
}
