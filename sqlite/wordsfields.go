package sqlite

import "strings"

// keptWords is the SQL of the words an item's kept fields (JSON, the SQL
// expression fields) add to those of its text (the expression text): the
// string and number values, space-separated, but for those the text holds
// whole, between two word boundaries. With the default --keep the text is
// made of the fields, so without this FTS5 would tokenise and store every
// word twice (about half the index's cost).
//
// A boundary is the text's start or end or an ASCII character other than a
// letter or digit (unicode61 separates words there); only the value's first
// occurrence is looked at, and the match is case-sensitive, so a value the
// check misses is indexed twice (as before), never lost: "9" is kept in a
// text that has only "1995", "Heat" in one that has only "Heated".
func keptWords(fields, text string) string {
	const boundary = `(unicode(substr(t.s, %s, 1)) < 128 AND NOT substr(t.s, %s, 1) GLOB '[0-9A-Za-z]')`
	before := strings.ReplaceAll(boundary, "%s", "v.p - 1")
	after := strings.ReplaceAll(boundary, "%s", "v.p + v.n")
	return `(SELECT group_concat(v.value, ' ') FROM
		(SELECT coalesce(` + text + `, '') AS s) AS t,
		(SELECT value, instr(coalesce(` + text + `, ''), value) AS p, length(value) AS n
			FROM json_tree(` + fields + `) WHERE type IN ('text', 'integer', 'real')) AS v
		WHERE NOT (v.p > 0
			AND (v.p = 1 OR ` + before + `)
			AND (v.p + v.n > length(t.s) OR ` + after + `)))`
}

// wordsOnceSchema is schema step 8: the triggers of wordsSchema again,
// with keptWords for the fields column, and the items stored before
// indexed anew so that they rank alike with those stored after (a word
// indexed twice scores higher under BM25); this costs what indexing them
// first did, once. A record cut into pieces keeps its entry (its whole
// text is its pieces', which indexPieceWords joins in Go): its words are
// found all the same, counted twice until its next Put.
var wordsOnceSchema = `DROP TRIGGER items_words_insert;
	DROP TRIGGER items_words_update;
	CREATE TRIGGER items_words_insert AFTER INSERT ON items BEGIN
		INSERT INTO item_words (collection_id, item_id) VALUES (new.collection_id, new.id);
		INSERT INTO item_words_fts (rowid, text, fields) VALUES (
			(SELECT id FROM item_words WHERE collection_id = new.collection_id AND item_id = new.id),
			(SELECT text FROM cache WHERE id = new.cache_id),
			` + keptWords("new.fields", "(SELECT text FROM cache WHERE id = new.cache_id)") + `);
	END;
	CREATE TRIGGER items_words_update AFTER UPDATE OF cache_id, fields ON items BEGIN
		DELETE FROM item_words_fts WHERE rowid =
			(SELECT id FROM item_words WHERE collection_id = old.collection_id AND item_id = old.id);
		INSERT INTO item_words_fts (rowid, text, fields) VALUES (
			(SELECT id FROM item_words WHERE collection_id = new.collection_id AND item_id = new.id),
			(SELECT text FROM cache WHERE id = new.cache_id),
			` + keptWords("new.fields", "(SELECT text FROM cache WHERE id = new.cache_id)") + `);
	END;
	CREATE TEMP TABLE words_again AS SELECT w.id AS id FROM item_words AS w
		WHERE NOT EXISTS (SELECT 1 FROM chunks AS k WHERE k.collection_id = w.collection_id AND k.id = w.item_id);
	DELETE FROM item_words_fts WHERE rowid IN (SELECT id FROM temp.words_again);
	INSERT INTO item_words_fts (rowid, text, fields)
		SELECT w.id, c.text, ` + keptWords("i.fields", "c.text") + `
		FROM temp.words_again AS a
		JOIN item_words AS w ON w.id = a.id
		JOIN items AS i ON i.collection_id = w.collection_id AND i.id = w.item_id
		JOIN cache AS c ON c.id = i.cache_id;
	DROP TABLE temp.words_again;`
