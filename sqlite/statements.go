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
	// readers
	collID, lookup, each, collections, runs, docs, collSize, idAt *sql.Stmt
	countItemsR                                                   *sql.Stmt
}

func (st *statements) queries() (w, r map[**sql.Stmt]string) {
	w = map[**sql.Stmt]string{
		&st.collByName:    `SELECT id, model, dims, template FROM collections WHERE name = ?`,
		&st.insertColl:    `INSERT INTO collections (name, model, template, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		&st.setTemplate:   `UPDATE collections SET template = ?, updated_at = ? WHERE id = ?`,
		&st.touchColl:     `UPDATE collections SET dims = ?, updated_at = ? WHERE id = ?`,
		&st.countItemsW:   `SELECT count(*) FROM items WHERE collection_id = ?`,
		&st.collEmbedding: `SELECT prefix, endpoint, dimensions, digest, keep FROM collections WHERE id = ?`,
		&st.setEmbedding: `UPDATE collections SET prefix = ?, endpoint = ?, dimensions = ?, digest = ?, keep = ?, updated_at = ?
			WHERE id = ?`,
		// The ids of a Put's new cache rows count on from the largest
		// (cacherows.go); a key already cached takes the replaceCache path.
		&st.lastCacheID:  `SELECT coalesce(max(id), 0) FROM cache`,
		&st.replaceCache: `UPDATE cache SET dims = ?2, vector = ?3, text = ?4 WHERE key = ?1 RETURNING id`,
		&st.cacheByKey:   `SELECT id, dims FROM cache WHERE key = ?`,
		&st.cacheVector:  `SELECT vector FROM cache WHERE id = ?`,
		&st.cacheText:    `SELECT text FROM cache WHERE id = ?`,
		&st.insertRun:    `INSERT INTO runs (collection, model, started_at, finished_at, stats, args) VALUES (?, ?, ?, ?, ?, ?)`,
	}
	for i, rows := range cacheSizes {
		w[&st.insertCache[i]] = insertCacheSQL(rows)
	}
	for i, rows := range upsertSizes {
		w[&st.upsertItems[i]] = upsertItemsSQL(rows)
	}
	r = map[**sql.Stmt]string{
		&st.collID:      `SELECT id FROM collections WHERE name = ?`,
		&st.countItemsR: `SELECT count(*) FROM items WHERE collection_id = ?`,
		// One query per chunk: ?2 is a JSON array of IDs in hex and ?3 the
		// keys concatenated, 32 bytes each. Only items whose key is cached
		// come back; the rest are Missing. json_each is 10x faster than a
		// VALUES list of bound parameters, which SQLite materialises first.
		&st.lookup: `SELECT j.key, coalesce(i.cache_id = c.id, 0)
			FROM json_each(?2) AS j
			JOIN cache AS c ON c.key = substr(?3, 32 * j.key + 1, 32)
			LEFT JOIN items AS i ON i.collection_id = ?1 AND i.id = CAST(unhex(j.value) AS TEXT)`,
		&st.each: `SELECT i.id, c.vector FROM items AS i JOIN cache AS c ON c.id = i.cache_id
			WHERE i.collection_id = ? ORDER BY i.id`,
		&st.collections: `SELECT c.name, c.model, c.dims, c.template,
			(SELECT count(*) FROM items AS i WHERE i.collection_id = c.id),
			c.prefix, c.endpoint, c.dimensions, c.digest, c.keep
			FROM collections AS c ORDER BY c.name`,
		&st.collSize: `SELECT (SELECT count(*) FROM items WHERE collection_id = ?1), dims FROM collections WHERE id = ?1`,
		&st.idAt:     `SELECT id FROM items WHERE collection_id = ? ORDER BY id LIMIT 1 OFFSET ?`,
		// ?2 is a JSON array of IDs, as in lookup. CROSS JOIN keeps
		// json_each the outer loop: the other order parses the array once
		// per item of the collection.
		&st.docs: `SELECT j.key, c.text, i.fields, i.text_at, i.text_refs
			FROM json_each(?2) AS j
			CROSS JOIN items AS i ON i.collection_id = ?1 AND i.id = CAST(unhex(j.value) AS TEXT)
			CROSS JOIN cache AS c ON c.id = i.cache_id`,
		&st.runs: `SELECT id, collection, model, started_at, finished_at, stats, args FROM runs
			WHERE ?1 = '' OR collection = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2`,
	}
	return w, r
}

func (st *statements) prepare(ctx context.Context, w, r *sql.DB) error {
	wq, rq := st.queries()
	for dst, q := range wq {
		s, err := w.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		*dst = s
	}
	for dst, q := range rq {
		s, err := r.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		*dst = s
	}
	return nil
}

func (st *statements) close() error {
	var errs []error
	wq, rq := st.queries()
	for _, m := range []map[**sql.Stmt]string{wq, rq} {
		for dst := range m {
			if *dst != nil {
				errs = append(errs, (*dst).Close())
			}
		}
	}
	return errors.Join(errs...)
}
