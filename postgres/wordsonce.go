package postgres

// wordsOnceSchema is migration 5 → 6: words_of leaves out a kept value the
// text already holds (strpos, case-sensitive, as SQLite's instr), so that
// with the default --keep (the text made of the kept fields) each word is
// in the tsvector once and ts_rank_cd counts it once, as SQLite's BM25
// does. A value found inside a longer word of the text only ("Mann" in
// "Manning") is left out too and no longer matches alone, as on SQLite.
//
// json_each_text gives the top-level values: a string or number as
// written, but an array or object as its JSON text
// (`["Al Pacino","Robert De Niro"]`), which a text seldom holds verbatim,
// so such a value keeps all its words (and an object's keys) even when the
// text holds each element. Fields with an escape PostgreSQL's text cannot
// hold (\u0000, a lone surrogate) make json_each_text fail: their JSON
// text is taken whole, as before.
//
// The items stored before get their words again, so that they rank alike
// with those stored after; items without kept fields have nothing to
// leave out and are not rewritten. A record cut into pieces keeps its
// words (its whole text is its pieces' joined in Go, indexPieceWords):
// they are found all the same, counted twice until its next Put.
const wordsOnceSchema = `CREATE OR REPLACE FUNCTION {{s}}.words_of(t text, f json) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v text := coalesce(t, '');
BEGIN
	IF f IS NOT NULL AND json_typeof(f) = 'object' AND strpos(f::text, '\u') = 0 THEN
		v := v || ' ' || coalesce((SELECT string_agg(value, ' ') FROM json_each_text(f)
			WHERE strpos(coalesce(t, ''), value) = 0), '');
	ELSIF f IS NOT NULL THEN
		BEGIN
			v := v || ' ' || coalesce((SELECT string_agg(value, ' ') FROM json_each_text(f)
				WHERE strpos(coalesce(t, ''), value) = 0), '');
		EXCEPTION WHEN others THEN
			v := v || ' ' || f::text;
		END;
	END IF;
	-- Punctuation separates words, as for SQLite and salvo's queries:
	-- the parser would keep "C.H.U.D." or "R2-D2" whole.
	RETURN to_tsvector('simple', regexp_replace(v, '[[:punct:][:space:]]+', ' ', 'g'));
END $$;
UPDATE {{s}}.items AS i SET words = {{s}}.words_of(c.text, i.fields) FROM {{s}}.cache AS c
	WHERE c.id = i.cache_id AND i.fields IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM {{s}}.chunks AS k WHERE k.collection_id = i.collection_id AND k.id = i.id)`
