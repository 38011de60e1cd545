package postgres

import (
	"fmt"
	"strings"
)

// queries holds the store's SQL with the schema filled in. Statements take
// the collection's row id where they can, so that a Put reads the
// collection row once.
type queries struct {
	s   string // the quoted schema
	vec bool

	collByName, collForUpdate, insertColl, setTemplate, countItems, collections    string
	lookup, cachedKeys, upsertFromStage, refreshEmbeddings, upsertItems, touchColl string
	eachFirst, eachNext, vectors                                                   string
	insertRun, runs                                                                string
}

func newQueries(s string, vec bool) queries {
	q := queries{s: s, vec: vec}
	r := strings.NewReplacer("{{s}}", s)
	q.collByName = r.Replace(`SELECT id, model, dims, template FROM {{s}}.collections WHERE name = $1`)
	q.collForUpdate = q.collByName + " FOR UPDATE"
	q.insertColl = r.Replace(`INSERT INTO {{s}}.collections (name, model, template) VALUES ($1, $2, $3)`)
	q.setTemplate = r.Replace(`UPDATE {{s}}.collections SET template = $1, updated_at = now() WHERE id = $2`)
	q.countItems = r.Replace(`SELECT count(*) FROM {{s}}.items WHERE collection_id = $1`)
	q.collections = r.Replace(`SELECT c.name, c.model, c.dims, c.template,
		(SELECT count(*) FROM {{s}}.items i WHERE i.collection_id = c.id)
		FROM {{s}}.collections c ORDER BY c.name`)
	// One row per item whose key is cached: its position and whether the
	// ID is stored with that key.
	q.lookup = r.Replace(`SELECT q.ord, i.cache_id IS NOT DISTINCT FROM c.id
		FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS q (id, key, ord)
		JOIN {{s}}.cache c ON c.key = q.key
		LEFT JOIN {{s}}.items i ON i.collection_id = $1 AND i.id = q.id`)
	q.vectors = r.Replace(`SELECT key, vector FROM {{s}}.cache WHERE key = ANY ($1::bytea[])`)
	q.cachedKeys = r.Replace(`SELECT key, id, dims FROM {{s}}.cache WHERE key = ANY ($1::bytea[])`)
	q.upsertFromStage = r.Replace(`INSERT INTO {{s}}.cache (key, dims, vector, text)
		SELECT key, dims, vector, text FROM pg_temp.salvo_stage ORDER BY key
		ON CONFLICT (key) DO UPDATE SET dims = excluded.dims, vector = excluded.vector, text = excluded.text
		RETURNING key, id`)
	// With pgvector an item holds a copy of its vector: a cache row whose
	// vector was replaced (salvo embed --force) passes it on.
	q.refreshEmbeddings = r.Replace(`UPDATE {{s}}.items i SET embedding = c.vector
		FROM {{s}}.cache c WHERE i.cache_id = c.id AND c.id = ANY ($1::int8[])`)
	if vec {
		q.upsertItems = r.Replace(`INSERT INTO {{s}}.items (collection_id, id, cache_id, embedding)
			SELECT $1, t.id, t.cache_id, c.vector FROM unnest($2::text[], $3::int8[]) AS t (id, cache_id)
			JOIN {{s}}.cache c ON c.id = t.cache_id
			ON CONFLICT (collection_id, id) DO UPDATE
			SET cache_id = excluded.cache_id, embedding = excluded.embedding, updated_at = now()
			WHERE items.cache_id <> excluded.cache_id`)
		q.eachFirst = r.Replace(`SELECT id, embedding FROM {{s}}.items WHERE collection_id = $1 ORDER BY id LIMIT $2`)
		q.eachNext = r.Replace(`SELECT id, embedding FROM {{s}}.items WHERE collection_id = $1 AND id > $3 ORDER BY id LIMIT $2`)
	} else {
		q.upsertItems = r.Replace(`INSERT INTO {{s}}.items (collection_id, id, cache_id)
			SELECT $1, t.id, t.cache_id FROM unnest($2::text[], $3::int8[]) AS t (id, cache_id)
			ON CONFLICT (collection_id, id) DO UPDATE
			SET cache_id = excluded.cache_id, updated_at = now()
			WHERE items.cache_id <> excluded.cache_id`)
		q.eachFirst = r.Replace(`SELECT i.id, c.vector FROM {{s}}.items i JOIN {{s}}.cache c ON c.id = i.cache_id
			WHERE i.collection_id = $1 ORDER BY i.id LIMIT $2`)
		q.eachNext = r.Replace(`SELECT i.id, c.vector FROM {{s}}.items i JOIN {{s}}.cache c ON c.id = i.cache_id
			WHERE i.collection_id = $1 AND i.id > $3 ORDER BY i.id LIMIT $2`)
	}
	q.touchColl = r.Replace(`UPDATE {{s}}.collections SET dims = $1, updated_at = now() WHERE id = $2`)
	q.insertRun = r.Replace(`INSERT INTO {{s}}.runs (collection, model, started_at, finished_at, stats, args)
		VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`)
	q.runs = r.Replace(`SELECT id, collection, model, started_at, finished_at, stats::text, args::text
		FROM {{s}}.runs WHERE $1 = '' OR collection = $1 ORDER BY started_at DESC, id DESC LIMIT $2`)
	return q
}

// staging creates the connection's temporary table for COPY; its rows go
// at commit.
func (q *queries) staging(vectorType string) string {
	return fmt.Sprintf(`CREATE TEMP TABLE IF NOT EXISTS salvo_stage (key bytea, dims integer, vector %s, text text) ON COMMIT DELETE ROWS;
		ALTER TABLE salvo_stage ALTER COLUMN vector SET STORAGE MAIN`, vectorType)
}

// insertValues is a multi-row INSERT of n cache entries, for servers
// without COPY.
func (q *queries) insertValues(n int, vectorType string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s.cache (key, dims, vector, text) VALUES ", q.s)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "($%d, $%d, $%d::%s, $%d)", 4*i+1, 4*i+2, 4*i+3, vectorType, 4*i+4)
	}
	b.WriteString(" ON CONFLICT (key) DO UPDATE SET dims = excluded.dims, vector = excluded.vector, text = excluded.text RETURNING key, id")
	return b.String()
}

// hnswIndex is the HNSW index of one collection's vectors: a partial index
// over its items, on the vectors cast to the collection's dimensions.
func (q *queries) hnswIndex(cid int64, dims int, vecSchema string) string {
	return fmt.Sprintf(`CREATE INDEX IF NOT EXISTS items_hnsw_%d ON %s.items USING hnsw ((embedding::%s.vector(%d)) %s.vector_cosine_ops) WHERE collection_id = %d`,
		cid, q.s, vecSchema, dims, vecSchema, cid)
}

// search finds the k nearest items of a collection by cosine distance;
// the collection id is written into the statement so that the planner
// matches the collection's partial index.
func (q *queries) search(cid int64, dims int, vecSchema string) string {
	v := fmt.Sprintf("%s.vector(%d)", vecSchema, dims)
	d := fmt.Sprintf("embedding::%s OPERATOR(%s.<=>) $1::%s", v, vecSchema, v)
	return fmt.Sprintf(`SELECT id, 1 - (%s) FROM %s.items WHERE collection_id = %d ORDER BY %s LIMIT $2`, d, q.s, cid, d)
}
