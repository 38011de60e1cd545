package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/f32le"
)

// lookupOnce is [Store.Lookup] without its retries.
func (s *Store) lookupOnce(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	if len(out) < len(items) {
		return fmt.Errorf("lookup in collection %q: %d items but room for %d answers", collection, len(items), len(out))
	}
	if hasPieces(items) {
		return s.lookupMixed(ctx, collection, items, out)
	}
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return err
	}
	ids := make([]string, len(items))
	keys := make([][]byte, len(items))
	for i, it := range items {
		out[i] = salvo.Missing
		// PostgreSQL text holds neither NUL nor invalid UTF-8: such an ID
		// cannot be stored, so it is missing (Put says why).
		if validID(it.ID) {
			ids[i] = it.ID
		}
		keys[i] = it.Key[:]
	}
	rows, err := s.pool.Query(ctx, s.q.lookup, cid, ids, keys)
	if err != nil {
		return s.wrap(err, "lookup in collection %q", collection)
	}
	err = scanLookup(rows, func(i int, stored bool) {
		if stored && validID(items[i].ID) {
			out[i] = salvo.Stored
		} else {
			out[i] = salvo.Cached
		}
	})
	return s.wrap(err, "lookup in collection %q", collection)
}

// scanLookup reads the rows of a lookup query, (ordinality, stored) each,
// and calls set with each 0-based index and whether it is stored. It
// closes rows.
func scanLookup(rows pgx.Rows, set func(i int, stored bool)) error {
	defer rows.Close()
	for rows.Next() {
		var (
			ord    int64
			stored bool
		)
		if err := rows.Scan(&ord, &stored); err != nil {
			return err
		}
		set(int(ord-1), stored)
	}
	return rows.Err()
}

func validID(id string) bool { return utf8.ValidString(id) && !strings.ContainsRune(id, 0) }

// cacheRow is where a key's vector is in the cache.
type cacheRow struct {
	id   int64
	dims int
}

// putOnce is [Store.Put] without its retries.
func (s *Store) putOnce(ctx context.Context, collection string, entries []salvo.Entry, items []salvo.Item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("store in collection %q", collection))
	}
	for _, it := range items {
		if !validID(it.ID) {
			return &IDError{ID: it.ID, Collection: collection}
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(err, "store in collection %q", collection)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	cid, dims, err := s.collection(ctx, tx, collection, true)
	if err != nil {
		return err
	}

	want, err := salvo.PutDims(collection, dims, entries)
	if err != nil {
		return err
	}
	entries = lastPerKey(entries)

	// The cache rows of every key the call names, as they are before it.
	keys := make([][]byte, 0, len(entries)+len(items))
	for i := range entries {
		keys = append(keys, entries[i].Key[:])
	}
	for i := range items {
		keys = append(keys, items[i].Key[:])
	}
	rows, err := tx.Query(ctx, s.q.cachedKeys, keys)
	if err != nil {
		return s.wrap(err, "store in collection %q", collection)
	}
	cached := map[salvo.Key]cacheRow{}
	var (
		k   []byte
		row cacheRow
	)
	_, err = pgx.ForEachRow(rows, []any{&k, &row.id, &row.dims}, func() error {
		cached[salvo.Key(k)] = row
		return nil
	})
	if err != nil {
		return s.wrap(err, "store in collection %q", collection)
	}
	var replaced []int64
	for _, e := range entries {
		if r, ok := cached[e.Key]; ok {
			replaced = append(replaced, r.id)
		}
	}

	if len(entries) > 0 {
		if err := s.putEntries(ctx, tx, entries, cached); err != nil {
			return s.wrap(err, "store %d vectors in collection %q", len(entries), collection)
		}
	}
	if s.vec && len(replaced) > 0 {
		if _, err := tx.Exec(ctx, s.q.refreshEmbeddings, replaced); err != nil {
			return s.wrap(err, "store in collection %q", collection)
		}
	}

	items, pieces := splitPieces(items)
	if err := s.dropPieces(ctx, tx, cid, items); err != nil {
		return s.wrap(err, "store in collection %q", collection)
	}
	items = lastPerID(append(items, records(pieces)...))
	var missing *salvo.NotCachedError
	ids := make([]string, len(items))
	cacheIDs := make([]int64, len(items))
	fields := make([]*string, len(items)) // NULL: no kept fields
	for i, it := range items {
		if it.Fields != nil {
			f := string(it.Fields)
			fields[i] = &f
		}
		r, ok := cached[it.Key]
		if !ok {
			// Removed by Collect since a lookup found it: say which,
			// and store nothing.
			missing = missing.With(collection, it.Key)
			continue
		}
		if want == 0 {
			want = r.dims
		}
		if r.dims != want {
			return &salvo.DimensionError{Collection: collection, Have: r.dims, Want: want}
		}
		ids[i], cacheIDs[i] = it.ID, r.id
	}
	if err := s.putPieces(ctx, tx, cid, collection, pieces, cached, &want, &missing); err != nil {
		return err
	}
	if missing != nil {
		return missing
	}
	if len(items) > 0 {
		if _, err := tx.Exec(ctx, s.q.upsertItems, cid, ids, cacheIDs, fields); err != nil {
			return s.wrap(err, "store %d items in collection %q", len(items), collection)
		}
	}
	if err := s.indexPieceWords(ctx, tx, cid, pieces); err != nil {
		return s.wrap(err, "index the words of %d pieces in collection %q", len(pieces), collection)
	}
	if _, err := tx.Exec(ctx, s.q.touchColl, want, cid); err != nil {
		return s.wrap(err, "store in collection %q", collection)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap(err, "store in collection %q", collection)
	}
	return nil
}

// putEntries writes entries to the cache, replacing cached vectors, and
// records their rows in cached.
func (s *Store) putEntries(ctx context.Context, tx pgx.Tx, entries []salvo.Entry, cached map[salvo.Key]cacheRow) error {
	collect := func(rows pgx.Rows) error {
		var (
			k  []byte
			id int64
		)
		_, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error {
			cached[salvo.Key(k)] = cacheRow{id: id, dims: len(entries[0].Vector)}
			return nil
		})
		return err
	}
	if s.copy {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", "salvo_stage"}, []string{"key", "dims", "vector", "text"},
			pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
				e := &entries[i]
				return []any{e.Key[:], len(e.Vector), s.vectorValue(e.Vector), e.Text}, nil
			}))
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, s.q.upsertFromStage)
		if err != nil {
			return err
		}
		return collect(rows)
	}
	const perInsert = 500
	args := make([]any, 0, 4*perInsert)
	for start := 0; start < len(entries); start += perInsert {
		chunk := entries[start:min(len(entries), start+perInsert)]
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			args = append(args, e.Key[:], len(e.Vector), s.vectorValue(e.Vector), e.Text)
		}
		rows, err := tx.Query(ctx, s.q.insertValues(len(chunk), s.vectorType()), args...)
		if err != nil {
			return err
		}
		if err := collect(rows); err != nil {
			return err
		}
	}
	return nil
}

// vectorValue is v as the store's vector column takes it.
func (s *Store) vectorValue(v []float32) any {
	if s.vec {
		return pgvector.NewVector(v)
	}
	return f32le.Bytes(v)
}

// lastPerKey keeps the last entry of each key, sorted by key: one INSERT …
// ON CONFLICT may not touch a row twice, and concurrent Puts that take row
// locks in the same order cannot deadlock.
func lastPerKey(entries []salvo.Entry) []salvo.Entry {
	out := lastPer(entries, func(e salvo.Entry) salvo.Key { return e.Key })
	slices.SortFunc(out, func(a, b salvo.Entry) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return out
}

// lastPerID keeps the last item of each ID.
func lastPerID(items []salvo.Item) []salvo.Item {
	return lastPer(items, func(it salvo.Item) string { return it.ID })
}

// lastPer keeps, in order of first appearance, the last of the elements
// that share a key.
func lastPer[T any, K comparable](xs []T, key func(T) K) []T {
	seen := make(map[K]int, len(xs))
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if i, ok := seen[key(x)]; ok {
			out[i] = x
			continue
		}
		seen[key(x)] = len(out)
		out = append(out, x)
	}
	return out
}

// eachPage is how many items Each reads per query. Each reads in pages by
// ID, holding no connection between them, so fn may use the store (and a
// server with one connection, such as PGlite, is not blocked).
const eachPage = 1000

// Each calls fn for every item of the collection in ID order (byte order),
// with a vector fn may keep. It stops at the first error fn returns and
// returns that error. fn may call the Store, including Put; what Put
// stores meanwhile may or may not be visited.
func (s *Store) Each(ctx context.Context, collection string, fn func(id string, v []float32) error) error {
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return err
	}
	type item struct {
		id string
		v  []float32
	}
	page := make([]item, 0, eachPage)
	last := ""
	for first := true; ; first = false {
		var rows pgx.Rows
		if first {
			rows, err = s.pool.Query(ctx, s.q.eachFirst, cid, eachPage)
		} else {
			rows, err = s.pool.Query(ctx, s.q.eachNext, cid, eachPage, last)
		}
		if err != nil {
			return s.wrap(err, "read collection %q", collection)
		}
		page = page[:0]
		for rows.Next() {
			var it item
			it.v, err = s.scanVector(rows, &it.id)
			if err != nil {
				rows.Close()
				return s.wrap(err, "read collection %q", collection)
			}
			page = append(page, it)
		}
		if err := rows.Err(); err != nil {
			return s.wrap(err, "read collection %q", collection)
		}
		for _, it := range page {
			if err := fn(it.id, it.v); err != nil {
				return err
			}
		}
		if len(page) < eachPage {
			return nil
		}
		last = page[len(page)-1].id
	}
}

// CachedVectors returns the cached vectors of keys; keys not in the cache are
// left out.
func (s *Store) CachedVectors(ctx context.Context, keys []salvo.Key) (map[salvo.Key][]float32, error) {
	raw := make([][]byte, len(keys))
	for i := range keys {
		raw[i] = keys[i][:]
	}
	rows, err := s.pool.Query(ctx, s.q.vectors, raw)
	if err != nil {
		return nil, s.wrap(err, "read cached vectors")
	}
	defer rows.Close()
	out := make(map[salvo.Key][]float32, len(keys))
	for rows.Next() {
		var k []byte
		v, err := s.scanVector(rows, &k)
		if err != nil {
			return nil, s.wrap(err, "read cached vectors")
		}
		out[salvo.Key(k)] = v
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read cached vectors")
	}
	return out, nil
}

// scanVector scans a row of two columns, the first into first and the
// second, a vector, into the result, whichever way vectors are stored.
func (s *Store) scanVector(rows pgx.Rows, first any) ([]float32, error) {
	if s.vec {
		var v pgvector.Vector
		err := rows.Scan(first, &v)
		return v.Slice(), err
	}
	var b []byte
	if err := rows.Scan(first, &b); err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector of %d bytes is not a whole number of float32s: the table is damaged", len(b))
	}
	v := make([]float32, len(b)/4)
	f32le.Decode(v, b)
	return v, nil
}

// IDError is a record ID that PostgreSQL text cannot hold (NUL bytes or
// invalid UTF-8). Put stores nothing of its batch.
type IDError struct{ ID, Collection string }

func (e *IDError) Error() string {
	return fmt.Sprintf("store item %q in collection %q: PostgreSQL text cannot hold this ID (NUL bytes or invalid UTF-8): keep such catalogs in a SQLite database", e.ID, e.Collection)
}
