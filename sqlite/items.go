package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/salvoembed/salvo"
)

// Lookup fills out[i] with the presence of items[i]: Stored when the ID is
// stored in the collection with the same key, Cached when the key's vector
// is in the cache, Missing otherwise. It costs one query per call.
func (s *Store) Lookup(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	if len(out) < len(items) {
		return fmt.Errorf("lookup in collection %q: %d items but room for %d answers", collection, len(items), len(out))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if hasPieces(items) {
		return s.lookupMixed(ctx, collection, items, out)
	}
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return err
	}
	// IDs go as hex so that SQLite gets them back byte for byte, whatever
	// they hold: a JSON string cannot carry bytes that are not UTF-8 (record
	// IDs from a CSV file may hold any bytes).
	ids := make([]byte, 0, 32*len(items))
	keys := make([]byte, 0, 32*len(items))
	ids = append(ids, '[')
	for i, it := range items {
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = append(ids, '"')
		ids = hex.AppendEncode(ids, []byte(it.ID))
		ids = append(ids, '"')
		keys = append(keys, it.Key[:]...)
		out[i] = salvo.Missing
	}
	ids = append(ids, ']')
	rows, err := s.st.lookup.QueryContext(ctx, cid, string(ids), keys)
	if err != nil {
		return fmt.Errorf("lookup in collection %q of %s: %w", collection, s.path, err)
	}
	if err := scanLookup(rows, func(i int, p salvo.Presence) { out[i] = p }); err != nil {
		return fmt.Errorf("lookup in collection %q of %s: %w", collection, s.path, err)
	}
	return nil
}

// scanLookup reads the rows of a lookup query, (index, stored) each, and
// calls set with each index and its presence: Stored, else Cached. It
// closes rows.
func scanLookup(rows *sql.Rows, set func(i int, p salvo.Presence)) error {
	defer rows.Close()
	for rows.Next() {
		var (
			i      int
			stored bool
		)
		if err := rows.Scan(&i, &stored); err != nil {
			return err
		}
		if stored {
			set(i, salvo.Stored)
		} else {
			set(i, salvo.Cached)
		}
	}
	return rows.Err()
}

// Put stores entries in the cache and items in the collection in one
// transaction. An entry whose key is cached already replaces the cached
// vector. An item may refer to an entry of this call or to a cached key.
//
// The first vectors stored set the collection's dimensions; a vector of
// other dimensions fails the whole Put with a *[salvo.DimensionError] and
// nothing is stored.
func (s *Store) Put(ctx context.Context, collection string, entries []salvo.Entry, items []salvo.Item) error {
	return s.explain(s.put(ctx, collection, entries, items))
}

func (s *Store) put(ctx context.Context, collection string, entries []salvo.Entry, items []salvo.Item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("store in collection %q", collection))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	defer tx.Rollback()

	var (
		cid         int64
		model, tmpl string
		dims        int
	)
	err = tx.StmtContext(ctx, s.st.collByName).QueryRowContext(ctx, collection).Scan(&cid, &model, &dims, &tmpl)
	if errors.Is(err, sql.ErrNoRows) {
		return s.noCollection(collection)
	}
	if err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}

	want, err := salvo.PutDims(collection, dims, entries)
	if err != nil {
		return err
	}
	// The vectors written go to the collection's spool too (vecspool.go).
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	spool, err := s.beginSpool(ctx, tx, cid)
	if err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	spooling := !spool.disabled
	known := make(map[salvo.Key]cachedKey, len(entries))
	ids, replaced, err := s.putEntries(ctx, tx, entries)
	if err != nil {
		return fmt.Errorf("store %d vectors in %s: %w", len(entries), s.path, err)
	}
	// A cached vector replaced changes every record that shares it, here
	// or in other collections: not a change a spool can follow.
	spool.broken = spool.broken || replaced
	for i, e := range entries {
		known[e.Key] = cachedKey{id: ids[i], text: e.Text, hasText: true, vec: e.Vector}
	}

	items, pieces := s.recordsOf(items)
	if err := s.dropPieces(ctx, tx, cid, items); err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	items = append(items, records(pieces)...)
	now := time.Now().UnixMilli()
	byKey := tx.StmtContext(ctx, s.st.cacheByKey)
	rows := itemRows{cid: cid, now: now} // the items' rows, written by upsertItems
	var missing *salvo.NotCachedError
	for i := range items {
		it := &items[i] // not a copy: its key's slice would move it to the heap
		k, ok := known[it.Key]
		if !ok {
			var (
				d  int
				id int64
			)
			err := byKey.QueryRowContext(ctx, it.Key[:]).Scan(&id, &d)
			k.id = id
			if errors.Is(err, sql.ErrNoRows) {
				// Removed by Collect since a lookup found it: say
				// which, and store nothing.
				missing = missing.With(collection, it.Key)
				continue
			}
			if err != nil {
				return fmt.Errorf("store item %q in collection %q of %s: %w", it.ID, collection, s.path, err)
			}
			if want == 0 {
				want = d
			}
			if d != want {
				return &salvo.DimensionError{Collection: collection, Have: d, Want: want}
			}
			known[it.Key] = k
		}
		fields, at, refs := it.Fields, -1, ""
		if len(fields) >= min(minTextInFields, minTextRef) {
			if !k.hasText {
				var text string
				if err := tx.StmtContext(ctx, s.st.cacheText).QueryRowContext(ctx, k.id).Scan(&text); err != nil {
					return fmt.Errorf("store item %q in collection %q of %s: %w", it.ID, collection, s.path, err)
				}
				k.text, k.hasText = text, true
				known[it.Key] = k
			}
			if rest, textAt, ok := splitText(fields, k.text); ok {
				fields, at = rest, textAt
			}
			if rest, r, ok := splitRefs(fields, k.text); ok {
				fields, refs = rest, r
			}
		}
		rows.add(it.ID, k.id, fields, at, refs)
		if spooling && !spool.broken {
			if k.vec == nil {
				if k.vec, err = s.cachedVector(ctx, tx, k.id); err != nil {
					return fmt.Errorf("store item %q in collection %q of %s: %w", it.ID, collection, s.path, err)
				}
				known[it.Key] = k
			}
			spool.add(it.ID, k.vec)
		}
	}

	if err := s.putPieces(ctx, tx, cid, collection, pieces, known, &want, &missing); err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	if missing != nil {
		return missing
	}
	changed, err := s.upsertItems(ctx, tx, &rows)
	if err != nil {
		return fmt.Errorf("store %d items in collection %q of %s: %w", len(rows.args)/rowParams, collection, s.path, err)
	}
	if err := markPiecesDue(ctx, tx, cid, pieces); err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	if _, err := tx.StmtContext(ctx, s.st.touchColl).ExecContext(ctx, want, now, cid); err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	// The items' rows change the collection's vectors: Put bumps its
	// generation once for all of them (putGenerationSchema), and reads it.
	gen := s.st.generation
	if changed > 0 {
		gen = s.st.bumpGeneration
	}
	var after int64
	if err := tx.StmtContext(ctx, gen).QueryRowContext(ctx, cid).Scan(&after); err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	err = tx.Commit()
	s.commitSpool(spool, err == nil, after, want)
	if err != nil {
		return fmt.Errorf("store in collection %q of %s: %w", collection, s.path, err)
	}
	return nil
}

// cachedKey is what a Put knows of a key: its cache row, its text and its
// vector, each once read (or given by the Put's entries).
type cachedKey struct {
	id      int64
	text    string
	hasText bool
	vec     []float32
}

// cachedVector reads the vector of cache row id.
func (s *Store) cachedVector(ctx context.Context, tx *sql.Tx, id int64) ([]float32, error) {
	var blob []byte
	if err := tx.StmtContext(ctx, s.st.cacheVector).QueryRowContext(ctx, id).Scan(&blob); err != nil {
		return nil, err
	}
	return decodeVector(blob)
}

// Each calls fn for every item of the collection in ID order (byte order),
// with a vector fn may keep. It stops at the first error fn returns and
// returns that error. fn may call the Store, including Put, but what Put
// stores meanwhile may or may not be visited.
func (s *Store) Each(ctx context.Context, collection string, fn func(id string, v []float32) error) error {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return err
	}
	rows, err := s.st.each.QueryContext(ctx, cid)
	if err != nil {
		return fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   string
			blob sql.RawBytes
		)
		if err := rows.Scan(&id, &blob); err != nil {
			return fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
		}
		v, err := decodeVector(blob)
		if err != nil {
			return fmt.Errorf("read item %q of collection %q in %s: %w", id, collection, s.path, err)
		}
		if err := fn(id, v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	return nil
}

// upsertItemsSQL writes rows items, seven parameters each: the
// collection, the item's ID, its cache row, the time, its kept fields (a
// BLOB of their bytes, or NULL), text_at (see fieldtext.go) and text_refs
// (fieldrefs.go). A later row with the ID
// of an earlier one updates it, as statements one after another would.
// Bound parameters: the JSON array of hex strings this replaced cost more
// to write, parse and decode than the rows. Anonymous ones: the driver
// looks up each numbered parameter's name in a list as long as the
// statement's, a search per parameter.
func upsertItemsSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO items (collection_id, id, cache_id, updated_at, fields, text_at, text_refs) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, CAST(? AS TEXT), ?, ?)")
	}
	b.WriteString(` ON CONFLICT (collection_id, id) DO UPDATE SET cache_id = excluded.cache_id, updated_at = excluded.updated_at,
		fields = excluded.fields, text_at = excluded.text_at, text_refs = excluded.text_refs
	WHERE cache_id <> excluded.cache_id OR fields IS NOT excluded.fields OR text_at IS NOT excluded.text_at
		OR text_refs IS NOT excluded.text_refs`)
	return b.String()
}

// upsertSizes are the row counts of the prepared upserts
// (statements.upsertItems), largest first: a Put's items go in as many of
// the largest as fit, then the smaller ones.
var upsertSizes = [...]int{256, 16, 1}

// itemRows are the parameters of a Put's items, rowParams per item.
type itemRows struct {
	cid, now any // int64 each, boxed once for all rows
	args     []any
}

// rowParams is how many parameters an item's row takes.
const rowParams = 7

// add appends an item's row: its ID, its cache row, its kept fields (nil
// for none), where in them the text goes (-1: nowhere; see fieldtext.go)
// and the references of the values the text holds ("": none; see
// fieldrefs.go).
func (r *itemRows) add(id string, cacheID int64, fields []byte, textAt int, refs string) {
	var f, at, rs any
	if fields != nil {
		f = fields
		if textAt >= 0 {
			at = int64(textAt)
		}
		if refs != "" {
			rs = refs
		}
	}
	r.args = append(r.args, r.cid, id, cacheID, r.now, f, at, rs)
}

// upsertItems writes the items of rows and returns how many rows it
// inserted or changed (an item stored as it was counts none).
func (s *Store) upsertItems(ctx context.Context, tx *sql.Tx, rows *itemRows) (changed int64, err error) {
	rest := rows.args
	for i, size := range upsertSizes {
		if len(rest) < rowParams*size {
			continue
		}
		st := tx.StmtContext(ctx, s.st.upsertItems[i])
		for len(rest) >= rowParams*size {
			res, err := st.ExecContext(ctx, rest[:rowParams*size]...)
			if err != nil {
				return changed, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return changed, err
			}
			changed += n
			rest = rest[rowParams*size:]
		}
	}
	return changed, nil
}
