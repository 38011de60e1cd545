package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// statements are prepared once per Store; database/sql prepares them again
// on each pooled connection as needed, and tx.StmtContext reuses them inside
// transactions.
type statements struct {
	// writer
	collByName, insertColl, setTemplate, touchColl, countItemsW *sql.Stmt
	collEmbedding, setEmbedding                                 *sql.Stmt
	lastCacheID, replaceCache, cacheByKey, insertRun            *sql.Stmt
	insertCache                                                 [len(cacheSizes)]*sql.Stmt
	cacheVector, cacheText                                      *sql.Stmt
	upsertItems                                                 [len(upsertSizes)]*sql.Stmt
	generation, bumpGeneration                                  *sql.Stmt
	// readers
	collID, lookup, each, collections, runs, docs, collSize, idAt *sql.Stmt
	countItemsR                                                   *sql.Stmt
	// prepared: every statement prepared, for close.
	prepared []*sql.Stmt
}

// query is a statement to prepare: its field, its text, and whether it
// runs on the read connections.
type query struct {
	dst    **sql.Stmt
	q      string
	reader bool
}

func (st *statements) queries() []query {
	qs := []query{
		{&st.collByName, `SELECT id, model, dims, template FROM collections WHERE name = ?`, false},
		{&st.insertColl, `INSERT INTO collections (name, model, template, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, false},
		{&st.setTemplate, `UPDATE collections SET template = ?, updated_at = ? WHERE id = ?`, false},
		{&st.touchColl, `UPDATE collections SET dims = ?, updated_at = ? WHERE id = ?`, false},
		{&st.countItemsW, `SELECT count(*) FROM items WHERE collection_id = ?`, false},
		{&st.collEmbedding, `SELECT prefix, endpoint, dimensions, digest, keep FROM collections WHERE id = ?`, false},
		{&st.setEmbedding, `UPDATE collections SET prefix = ?, endpoint = ?, dimensions = ?, digest = ?, keep = ?, updated_at = ?
			WHERE id = ?`, false},
		// The ids of a Put's new cache rows count on from the largest
		// (cacherows.go); a key already cached takes the replaceCache path.
		{&st.lastCacheID, `SELECT coalesce(max(id), 0) FROM cache`, false},
		{&st.replaceCache, `UPDATE cache SET dims = ?2, vector = ?3, text = ?4 WHERE key = ?1 RETURNING id`, false},
		{&st.cacheByKey, `SELECT id, dims FROM cache WHERE key = ?`, false},
		{&st.cacheVector, `SELECT vector FROM cache WHERE id = ?`, false},
		{&st.cacheText, `SELECT text FROM cache WHERE id = ?`, false},
		{&st.insertRun, `INSERT INTO runs (collection, model, started_at, finished_at, stats, args) VALUES (?, ?, ?, ?, ?, ?)`, false},
		{&st.generation, `SELECT generation FROM vector_files WHERE collection_id = ?`, false},
		{&st.bumpGeneration, `UPDATE vector_files SET generation = generation + 1 WHERE collection_id = ? RETURNING generation`, false},
	}
	for i, rows := range cacheSizes {
		qs = append(qs, query{&st.insertCache[i], insertCacheSQL(rows), false})
	}
	for i, rows := range upsertSizes {
		qs = append(qs, query{&st.upsertItems[i], upsertItemsSQL(rows), false})
	}
	return append(qs,
		query{&st.collID, `SELECT id FROM collections WHERE name = ?`, true},
		query{&st.countItemsR, `SELECT count(*) FROM items WHERE collection_id = ?`, true},
		// One query per chunk: ?2 is a JSON array of IDs in hex and ?3 the
		// keys concatenated, 32 bytes each. Only items whose key is cached
		// come back; the rest are Missing. json_each is 10x faster than a
		// VALUES list of bound parameters, which SQLite materialises first.
		query{&st.lookup, `SELECT j.key, coalesce(i.cache_id = c.id, 0)
			FROM json_each(?2) AS j
			JOIN cache AS c ON c.key = substr(?3, 32 * j.key + 1, 32)
			LEFT JOIN items AS i ON i.collection_id = ?1 AND i.id = CAST(unhex(j.value) AS TEXT)`, true},
		query{&st.each, `SELECT i.id, c.vector FROM items AS i JOIN cache AS c ON c.id = i.cache_id
			WHERE i.collection_id = ? ORDER BY i.id`, true},
		query{&st.collections, `SELECT c.name, c.model, c.dims, c.template,
			(SELECT count(*) FROM items AS i WHERE i.collection_id = c.id),
			c.prefix, c.endpoint, c.dimensions, c.digest, c.keep
			FROM collections AS c ORDER BY c.name`, true},
		query{&st.collSize, `SELECT (SELECT count(*) FROM items WHERE collection_id = ?1), dims FROM collections WHERE id = ?1`, true},
		query{&st.idAt, `SELECT id FROM items WHERE collection_id = ? ORDER BY id LIMIT 1 OFFSET ?`, true},
		// ?2 is a JSON array of IDs, as in lookup. CROSS JOIN keeps
		// json_each the outer loop: the other order parses the array once
		// per item of the collection.
		query{&st.docs, `SELECT j.key, c.text, i.fields, i.text_at, i.text_refs
			FROM json_each(?2) AS j
			CROSS JOIN items AS i ON i.collection_id = ?1 AND i.id = CAST(unhex(j.value) AS TEXT)
			CROSS JOIN cache AS c ON c.id = i.cache_id`, true},
		query{&st.runs, `SELECT id, collection, model, started_at, finished_at, stats, args FROM runs
			WHERE ?1 = '' OR collection = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2`, true},
	)
}

func (st *statements) prepare(ctx context.Context, w, r *sql.DB) error {
	qs := st.queries()
	st.prepared = make([]*sql.Stmt, 0, len(qs))
	for _, q := range qs {
		db := w
		if q.reader {
			db = r
		}
		s, err := db.PrepareContext(ctx, q.q)
		if err != nil {
			return err
		}
		*q.dst = s
		st.prepared = append(st.prepared, s)
	}
	return nil
}

func (st *statements) close() error {
	var errs []error
	for _, s := range st.prepared {
		errs = append(errs, s.Close())
	}
	st.prepared = nil
	return errors.Join(errs...)
}
