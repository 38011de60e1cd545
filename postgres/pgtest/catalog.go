package pgtest

import "testing"

// catalogSQL lists every schema, every relation outside PostgreSQL's own
// schemas (tables, indexes, sequences, views), every table that
// information_schema shows, and every extension. It leaves out the
// sessions' temporary schemas: a session's temporary tables go when it
// ends, but its server process drops them as it exits, after the client
// has closed the connection, so a catalog read just after a Close may or
// may not still list them. (A read-only session cannot create one: its
// server refuses CREATE TABLE, temporary or not.)
const catalogSQL = `SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
	SELECT 'schema ' || nspname AS x FROM pg_namespace
		WHERE nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
	UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
			AND n.nspname NOT LIKE 'pg\_temp\_%'
	UNION ALL SELECT 'table ' || table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\_temp\_%'
	UNION ALL SELECT 'extension ' || extname FROM pg_extension) s`

// Catalog describes what the server's database holds (schemas, relations,
// extensions), one line each, sorted: compare it before and after a
// command that must create nothing.
func (s *Server) Catalog(tb testing.TB) string {
	tb.Helper()
	var c string
	s.Scan(tb, catalogSQL, nil, &c)
	return c
}
