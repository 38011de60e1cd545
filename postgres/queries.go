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

	collByName, collRef, collRefForUpdate, insertColl, setTemplate, setEmbedding   string
	countItems, collections                                                        string
	lookup, cachedKeys, upsertFromStage, refreshEmbeddings, upsertItems, touchColl string
	eachFirst, eachNext, vectors, allVectors, itemVector, docs                     string
	insertRun, runs                                                                string
}

func newQueries(s string, vec bool) queries {
	q := queries{s: s, vec: vec}
	r := strings.NewReplacer("{{s}}", s)
	q.collByName = r.Replace(`SELECT id, model, dims, template, prefix, endpoint, dimensions, digest, keep FROM {{s}}.collections WHERE name = $1`)
	q.collRef = r.Replace(`SELECT id, dims FROM {{s}}.collections WHERE name = $1`)
	q.collRefForUpdate = q.collRef + " FOR UPDATE"
	q.insertColl = r.Replace(`INSERT INTO {{s}}.collections (name, model, template, prefix, endpoint, dimensions, digest, keep)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`)
	q.setTemplate = r.Replace(`UPDATE {{s}}.collections SET template = $1, updated_at = now() WHERE id = $2`)
	q.setEmbedding = r.Replace(`UPDATE {{s}}.collections SET prefix = $1, endpoint = $2, dimensions = $3, digest = $4, keep = $5, updated_at = now() WHERE id = $6`)
	q.countItems = r.Replace(`SELECT count(*) FROM {{s}}.items WHERE collection_id = $1`)
	q.collections = r.Replace(`SELECT c.name, c.model, c.dims, c.template,
		(SELECT count(*) FROM {{s}}.items i WHERE i.collection_id = c.id),
		c.prefix, c.endpoint, c.dimensions, c.digest, c.keep
		FROM {{s}}.collections c ORDER BY c.name`)
	// The text and kept fields of the items asked for, by position; the
	// fields as text, which is how json keeps them.
	q.docs = r.Replace(`SELECT q.ord, c.text, i.fields::text
		FROM unnest($2::text[]) WITH ORDINALITY AS q (id, ord)
		JOIN {{s}}.items i ON i.collection_id = $1 AND i.id = q.id
		JOIN {{s}}.cache c ON c.id = i.cache_id`)
	// One row per item whose key is cached: its position and whether the
	// ID is stored with that key.
	q.lookup = r.Replace(`SELECT q.ord, i.cache_id IS NOT DISTINCT FROM c.id
		FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS q (id, key, ord)
		JOIN {{s}}.cache c ON c.key = q.key
		LEFT JOIN {{s}}.items i ON i.collection_id = $1 AND i.id = q.id`)
	q.vectors = r.Replace(`SELECT key, vector FROM {{s}}.cache WHERE key = ANY ($1::bytea[])`)
	// FOR KEY SHARE: a Collect running meanwhile skips these rows (it
	// locks what it deletes FOR UPDATE SKIP LOCKED), and a row it has
	// just deleted is not found, so Put says it is not cached.
	q.cachedKeys = r.Replace(`SELECT key, id, dims FROM {{s}}.cache WHERE key = ANY ($1::bytea[]) FOR KEY SHARE`)
	q.upsertFromStage = r.Replace(`INSERT INTO {{s}}.cache (key, dims, vector, text)
		SELECT key, dims, vector, text FROM pg_temp.salvo_stage ORDER BY key
		ON CONFLICT (key) DO UPDATE SET dims = excluded.dims, vector = excluded.vector, text = excluded.text
		RETURNING key, id`)
	// With pgvector an item holds a copy of its vector: a cache row whose
	// vector was replaced (salvo embed --force) passes it on.
	q.refreshEmbeddings = r.Replace(`UPDATE {{s}}.items i SET embedding = c.vector
		FROM {{s}}.cache c WHERE i.cache_id = c.id AND c.id = ANY ($1::int8[])`)
	var vectors string
	// An item is written when its content or its kept fields changed (json
	// has no equality: the texts are compared).
	const changed = `WHERE items.cache_id <> excluded.cache_id OR items.fields::text IS DISTINCT FROM excluded.fields::text`
	if vec {
		q.upsertItems = r.Replace(`INSERT INTO {{s}}.items (collection_id, id, cache_id, fields, embedding)
			SELECT $1, t.id, t.cache_id, t.fields::json, c.vector FROM unnest($2::text[], $3::int8[], $4::text[]) AS t (id, cache_id, fields)
			JOIN {{s}}.cache c ON c.id = t.cache_id
			ON CONFLICT (collection_id, id) DO UPDATE
			SET cache_id = excluded.cache_id, fields = excluded.fields, embedding = excluded.embedding, updated_at = now()
			` + changed)
		// Each item holds its vector: no join.
		vectors = `SELECT i.id, i.embedding FROM {{s}}.items i WHERE i.collection_id = $1 {{where}}`
	} else {
		q.upsertItems = r.Replace(`INSERT INTO {{s}}.items (collection_id, id, cache_id, fields)
			SELECT $1, t.id, t.cache_id, t.fields::json FROM unnest($2::text[], $3::int8[], $4::text[]) AS t (id, cache_id, fields)
			ON CONFLICT (collection_id, id) DO UPDATE
			SET cache_id = excluded.cache_id, fields = excluded.fields, updated_at = now()
			` + changed)
		vectors = `SELECT i.id, c.vector FROM {{s}}.items i JOIN {{s}}.cache c ON c.id = i.cache_id WHERE i.collection_id = $1 {{where}}`
	}
	// Vectors reads the collection in one ordered query, Each a page at a
	// time.
	vr := func(where string) string { return r.Replace(strings.ReplaceAll(vectors, "{{where}}", where)) }
	q.allVectors = vr("ORDER BY i.id")
	q.eachFirst = vr("ORDER BY i.id LIMIT $2")
	q.eachNext = vr("AND i.id > $3 ORDER BY i.id LIMIT $2")
	q.itemVector = vr("AND i.id = $2")
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
