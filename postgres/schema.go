package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DefaultSchema is the schema salvo's tables live in unless the URL names
// another with ?schema=NAME.
const DefaultSchema = "salvo"

// SchemaVersion is the version of salvo's tables this build writes.
// Version 2 added how a collection was embedded (prefix, endpoint,
// dimensions, digest, kept fields) and each item's kept fields; version 3
// the aliases; version 4 the pieces of long records (chunks); version 5
// the words of each item (words.go); version 6 leaves out of them a kept
// value the text holds (wordsonce.go). [Open] upgrades an older schema in
// place.
const SchemaVersion = 6

// Vector storage kinds, as [Store.VectorStorage] and the meta table name them.
const (
	// VectorsPgvector: vectors in pgvector `vector` columns; each
	// collection has an HNSW index for cosine distance, and
	// [Store.Search] runs in the database.
	VectorsPgvector = "pgvector"
	// VectorsBytea: vectors as little-endian float32 in bytea columns (the
	// layout of salvo's SQLite files); salvo searches exactly.
	VectorsBytea = "bytea"
)

// schemaSQL creates salvo's tables in schema s; vec is the SQL type of a
// vector column. {{s}} and {{vec}} are replaced.
//
// The cache maps a content key to its vector and is shared by all
// collections; items map (collection, record ID) to a cache row. With
// pgvector an item also holds a copy of its vector, so that each
// collection has an HNSW index of its own (a partial index): a search
// then finds the nearest items of that collection, never fewer because
// other collections' vectors crowd the index. IDs compare byte by byte
// (COLLATE "C"), as on SQLite. An item's kept fields are json, not jsonb:
// json keeps the text as written, so the fields come back in the order
// they were kept.
const schemaSQL = `
CREATE TABLE {{s}}.meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
CREATE TABLE {{s}}.collections (
	id         bigserial   PRIMARY KEY,
	name       text        NOT NULL UNIQUE,
	model      text        NOT NULL,
	dims       integer     NOT NULL DEFAULT 0,
	template   text        NOT NULL DEFAULT '',
	prefix     text        NOT NULL DEFAULT '',
	endpoint   text        NOT NULL DEFAULT '',
	dimensions integer     NOT NULL DEFAULT 0,
	digest     text        NOT NULL DEFAULT '',
	keep       text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {{s}}.cache (
	id     bigserial PRIMARY KEY,
	key    bytea     NOT NULL UNIQUE CHECK (length(key) = 32),
	dims   integer   NOT NULL,
	vector {{vec}}   NOT NULL,
	text   text      NOT NULL DEFAULT ''
);
CREATE TABLE {{s}}.items (
	collection_id bigint      NOT NULL REFERENCES {{s}}.collections (id),
	id            text        COLLATE "C" NOT NULL,
	cache_id      bigint      NOT NULL REFERENCES {{s}}.cache (id),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	fields        json,
	{{embedding}}
	PRIMARY KEY (collection_id, id)
);
CREATE INDEX items_cache_id ON {{s}}.items (cache_id);
ALTER TABLE {{s}}.cache ALTER COLUMN vector SET STORAGE MAIN;
{{embeddingStorage}}
CREATE TABLE {{s}}.runs (
	id          bigserial   PRIMARY KEY,
	collection  text        NOT NULL,
	model       text        NOT NULL,
	started_at  timestamptz NOT NULL,
	finished_at timestamptz NOT NULL,
	stats       jsonb       NOT NULL DEFAULT '{}',
	args        jsonb       NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_by_collection ON {{s}}.runs (collection, started_at);
` + aliasesSQL

// aliasesSQL is schema 3's: names that stand for a collection (salvo
// alias). The reference keeps a collection an alias points to from being
// deleted.
const aliasesSQL = `
CREATE TABLE IF NOT EXISTS {{s}}.aliases (
	name          text   COLLATE "C" PRIMARY KEY,
	collection_id bigint NOT NULL REFERENCES {{s}}.collections (id)
);
CREATE INDEX IF NOT EXISTS aliases_by_collection ON {{s}}.aliases (collection_id);
`

// Vectors are kept in the row (STORAGE MAIN) rather than in a TOAST table,
// where PostgreSQL would put values over 2 kB (512 dimensions): that costs
// a second table and index write per vector. Floats do not compress, so
// only rows too large for a page (over ~2000 dimensions) move out.

// setupSchema creates salvo's schema and tables when they do not exist,
// with pgvector when the extension is installed or can be, and returns the
// vector kind the schema uses. An existing schema keeps its kind.
func setupSchema(ctx context.Context, conn *pgx.Conn, srv *Server, schema string) (string, error) {
	s := quoteIdent(schema)
	// Processes that start together (salvo embed --distributed) would race
	// to create the same tables: one at a time, and the others find them.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext('salvo schema ' || $1))", schema); err != nil {
		return "", err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('salvo schema ' || $1))", schema) //nolint:errcheck // the session's end releases it too
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = '"+strings.ReplaceAll(schema, "'", "''")+"' AND tablename = 'meta')").Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return upgrade(ctx, conn, s)
	}
	if srv.Pgvector == "" && srv.PgvectorAvailable {
		// Installing an extension needs the CREATE privilege on the
		// database; without it salvo goes on without pgvector.
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err == nil {
			if err := conn.QueryRow(ctx, `SELECT e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'`).Scan(&srv.Pgvector, &srv.VectorSchema); err != nil {
				return "", err
			}
		}
	}
	kind, vec, embedding, embeddingStorage := VectorsBytea, "bytea", "", ""
	if srv.Pgvector != "" {
		kind, vec = VectorsPgvector, quoteIdent(srv.VectorSchema)+".vector"
		embedding = "embedding " + vec + " NOT NULL,"
		embeddingStorage = "ALTER TABLE " + s + ".items ALTER COLUMN embedding SET STORAGE MAIN;"
	}
	ddl := strings.NewReplacer("{{s}}", s, "{{vec}}", vec, "{{embedding}}", embedding, "{{embeddingStorage}}", embeddingStorage).Replace(schemaSQL + chunksSQL)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+s); err != nil {
		return "", fmt.Errorf("create schema %s: %w", schema, err)
	}
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return "", fmt.Errorf("create salvo's tables in schema %s: %w", schema, err)
	}
	for v := schemaSQLVersion; v < SchemaVersion; v++ {
		if _, err := tx.Exec(ctx, strings.ReplaceAll(migrations[v], "{{s}}", s)); err != nil {
			return "", fmt.Errorf("create salvo's tables in schema %s (version %d): %w", schema, v+1, err)
		}
	}
	meta := fmt.Sprintf("INSERT INTO %s.meta (key, value) VALUES ('schema_version', '%d'), ('vectors', '%s')", s, SchemaVersion, kind)
	if _, err := tx.Exec(ctx, meta); err != nil {
		return "", fmt.Errorf("create salvo's tables in schema %s: %w", schema, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("create salvo's tables in schema %s: %w", schema, err)
	}
	return kind, nil
}

// migrations[v] brings a schema of version v to version v+1.
var migrations = map[int]string{
	1: `ALTER TABLE {{s}}.collections
		ADD COLUMN IF NOT EXISTS prefix     text    NOT NULL DEFAULT '',
		ADD COLUMN IF NOT EXISTS endpoint   text    NOT NULL DEFAULT '',
		ADD COLUMN IF NOT EXISTS dimensions integer NOT NULL DEFAULT 0,
		ADD COLUMN IF NOT EXISTS digest     text    NOT NULL DEFAULT '',
		ADD COLUMN IF NOT EXISTS keep       text    NOT NULL DEFAULT '';
	ALTER TABLE {{s}}.items ADD COLUMN IF NOT EXISTS fields json`,
	2: aliasesSQL,
	3: chunksSQL,
	4: wordsSchema,     // see words.go
	5: wordsOnceSchema, // see wordsonce.go
}

// schemaSQLVersion is the version schemaSQL creates; setupSchema applies
// the later migrations to a new schema in the same transaction.
const schemaSQLVersion = 2

// upgrade checks an existing schema, brings an older version up to
// [SchemaVersion] in one transaction, and returns its vector kind. Two
// processes upgrading at once take turns: the second finds the work done.
func upgrade(ctx context.Context, conn *pgx.Conn, s string) (string, error) {
	kind, version, err := readMeta(ctx, conn, s)
	if err != nil || version == SchemaVersion {
		return kind, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE "+s+".meta IN EXCLUSIVE MODE"); err != nil {
		return "", fmt.Errorf("upgrade salvo's tables in schema %s: %w", s, err)
	}
	if kind, version, err = readMeta(ctx, tx.Conn(), s); err != nil || version == SchemaVersion {
		return kind, err
	}
	for ; version < SchemaVersion; version++ {
		if _, err := tx.Exec(ctx, strings.ReplaceAll(migrations[version], "{{s}}", s)); err != nil {
			return "", fmt.Errorf("upgrade salvo's tables in schema %s from version %d: %w", s, version, err)
		}
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("UPDATE %s.meta SET value = '%d' WHERE key = 'schema_version'", s, SchemaVersion)); err != nil {
		return "", fmt.Errorf("upgrade salvo's tables in schema %s: %w", s, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("upgrade salvo's tables in schema %s: %w", s, err)
	}
	return kind, nil
}

// readMeta checks an existing schema's version (one this build writes or
// can upgrade) and returns its vector kind and version.
func readMeta(ctx context.Context, conn *pgx.Conn, s string) (string, int, error) {
	rows, err := conn.Query(ctx, "SELECT key, value FROM "+s+".meta")
	if err != nil {
		return "", 0, err
	}
	meta, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var kv [2]string
		err := r.Scan(&kv[0], &kv[1])
		return kv, err
	})
	if err != nil {
		return "", 0, err
	}
	var version, kind string
	for _, kv := range meta {
		switch kv[0] {
		case "schema_version":
			version = kv[1]
		case "vectors":
			kind = kv[1]
		}
	}
	v, err := strconv.Atoi(version)
	if err != nil || v < 1 || v > SchemaVersion {
		return "", 0, fmt.Errorf("schema %s holds salvo tables of version %q; this salvo writes version %d: upgrade salvo, or choose another schema with ?schema=NAME", s, version, SchemaVersion)
	}
	if kind != VectorsPgvector && kind != VectorsBytea {
		return "", 0, fmt.Errorf("schema %s: unknown vector storage %q in %s.meta", s, kind, s)
	}
	return kind, v, nil
}
