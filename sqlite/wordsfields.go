package sqlite

// keptWords is the SQL of the words an item's kept fields (JSON, the SQL
// expression fields) add to those of its text (the expression text): the
// string and number values, space-separated, but for those the text
// already holds (instr, case-sensitive). With the default --keep the text
// is made of the fields, so without this FTS5 would tokenise and store
// every word twice.
//
// A value found inside a longer word of the text only ("Mann" in a text
// with "Manning" alone, 7 in one with 1977) is left out too, and no longer
// matches on its own: checking word boundaries in SQL (a substr and a
// length on each side) cost as much CPU as the second tokenising it saves.
func keptWords(fields, text string) string {
	return `(SELECT group_concat(value, ' ') FROM json_tree(` + fields + `)
		WHERE type IN ('text', 'integer', 'real') AND instr(coalesce(` + text + `, ''), value) = 0)`
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
