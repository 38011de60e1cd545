package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/salvoembed/salvo"
	textchunk "github.com/salvoembed/salvo/chunk"
	"github.com/salvoembed/salvo/internal/base/f32le"
)

var _ salvo.ChunkReader = (*Store)(nil)

// chunksSQL creates the table of the pieces of long records: one vector
// each (a cache row), under the record's ID and the piece's number, with
// its byte offsets in the rendered text. Schema version 4.
const chunksSQL = `
CREATE TABLE IF NOT EXISTS {{s}}.chunks (
	collection_id bigint  NOT NULL REFERENCES {{s}}.collections (id),
	id            text    COLLATE "C" NOT NULL,
	chunk         integer NOT NULL,
	start         integer NOT NULL,
	"end"         integer NOT NULL,
	cache_id      bigint  NOT NULL REFERENCES {{s}}.cache (id),
	PRIMARY KEY (collection_id, id, chunk)
);
CREATE INDEX IF NOT EXISTS chunks_cache_id ON {{s}}.chunks (cache_id);
`

func hasPieces(items []salvo.Item) bool {
	for i := range items {
		if items[i].Chunk != nil {
			return true
		}
	}
	return false
}

// splitPieces splits the items of a Put into whole records and pieces (the
// last of each (ID, number) kept).
func splitPieces(items []salvo.Item) (whole, pieces []salvo.Item) {
	if !hasPieces(items) {
		return items, nil
	}
	whole, pieces, _, _ = salvo.SplitPieces(items)
	type at struct {
		id string
		n  int
	}
	return whole, lastPer(pieces, func(p salvo.Item) at { return at{p.ID, p.Chunk.Index} })
}

// records returns the record item of each piece numbered 0: it points at
// that piece's vector and keeps the record's fields.
func records(pieces []salvo.Item) []salvo.Item {
	var out []salvo.Item
	for _, p := range pieces {
		if p.Chunk.Index == 0 {
			p.Chunk = nil
			out = append(out, p)
		}
	}
	return out
}

// dropPieces deletes the pieces of records now stored whole.
func (s *Store) dropPieces(ctx context.Context, tx pgx.Tx, cid int64, whole []salvo.Item) error {
	if len(whole) == 0 {
		return nil
	}
	var some bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+s.q.s+`.chunks WHERE collection_id = $1)`, cid).Scan(&some); err != nil || !some {
		return err
	}
	ids := make([]string, len(whole))
	for i := range whole {
		ids[i] = whole[i].ID
	}
	_, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.chunks WHERE collection_id = $1 AND id = ANY ($2::text[])`, cid, ids)
	return err
}

// putPieces stores pieces (their vectors' cache rows are in cached) and
// deletes the pieces of their records numbered past the count.
func (s *Store) putPieces(ctx context.Context, tx pgx.Tx, cid int64, collection string, pieces []salvo.Item, cached map[salvo.Key]cacheRow, want *int, missing **salvo.NotCachedError) error {
	if len(pieces) == 0 {
		return nil
	}
	n := len(pieces)
	ids, index, start, end, count := make([]string, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	cacheIDs := make([]int64, n)
	for i, p := range pieces {
		r, ok := cached[p.Key]
		if !ok {
			// Removed by Collect since a lookup found it (as for whole
			// records in putOnce): say which, and store nothing.
			*missing = (*missing).With(collection, p.Key)
			continue
		}
		if *want == 0 {
			*want = r.dims
		}
		if r.dims != *want {
			return &salvo.DimensionError{Collection: collection, Have: r.dims, Want: *want}
		}
		c := p.Chunk
		ids[i], cacheIDs[i] = p.ID, r.id
		index[i], start[i], end[i], count[i] = int32(c.Index), int32(c.Start), int32(c.End), int32(c.Count)
	}
	if *missing != nil {
		return nil // the caller returns it; nothing is stored
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s.q.s+`.chunks (collection_id, id, chunk, start, "end", cache_id)
		SELECT $1, t.* FROM unnest($2::text[], $3::int4[], $4::int4[], $5::int4[], $6::int8[]) AS t
		ON CONFLICT (collection_id, id, chunk) DO UPDATE
		SET start = excluded.start, "end" = excluded."end", cache_id = excluded.cache_id`,
		cid, ids, index, start, end, cacheIDs); err != nil {
		return s.wrap(err, "store %d pieces in collection %q", n, collection)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM `+s.q.s+`.chunks ch USING unnest($2::text[], $3::int4[]) AS t (id, count)
		WHERE ch.collection_id = $1 AND ch.id = t.id AND ch.chunk >= t.count`, cid, ids, count); err != nil {
		return s.wrap(err, "store %d pieces in collection %q", n, collection)
	}
	return nil
}

// lookupMixed answers a Lookup that holds pieces: whole records as usual,
// the pieces with one more query.
func (s *Store) lookupMixed(ctx context.Context, collection string, items []salvo.Item, out []salvo.Presence) error {
	pieces, pieceAt, err := salvo.LookupWhole(ctx, items, out, func(ctx context.Context, whole []salvo.Item, wout []salvo.Presence) error {
		return s.lookupOnce(ctx, collection, whole, wout)
	})
	if err != nil {
		return err
	}
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return err
	}
	n := len(pieces)
	ids, keys := make([]string, n), make([][]byte, n)
	index, start, end, count := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	for i, p := range pieces {
		out[pieceAt[i]] = salvo.Missing
		if validID(p.ID) {
			ids[i] = p.ID
		}
		c := p.Chunk
		keys[i] = p.Key[:]
		index[i], start[i], end[i], count[i] = int32(c.Index), int32(c.Start), int32(c.End), int32(c.Count)
	}
	rows, err := s.pool.Query(ctx, `SELECT q.ord,
			EXISTS (SELECT 1 FROM `+s.q.s+`.chunks ch WHERE ch.collection_id = $1 AND ch.id = q.id AND ch.chunk = q.chunk
				AND ch.cache_id = c.id AND ch.start = q.start AND ch."end" = q."end")
			AND NOT EXISTS (SELECT 1 FROM `+s.q.s+`.chunks x WHERE x.collection_id = $1 AND x.id = q.id AND x.chunk >= q.count)
		FROM unnest($2::text[], $3::bytea[], $4::int4[], $5::int4[], $6::int4[], $7::int4[])
			WITH ORDINALITY AS q (id, key, chunk, start, "end", count, ord)
		JOIN `+s.q.s+`.cache c ON c.key = q.key`, cid, ids, keys, index, start, end, count)
	if err != nil {
		return s.wrap(err, "lookup in collection %q", collection)
	}
	err = scanLookup(rows, func(i int, stored bool) {
		if stored && validID(pieces[i].ID) {
			out[pieceAt[i]] = salvo.Stored
		} else {
			out[pieceAt[i]] = salvo.Cached
		}
	})
	return s.wrap(err, "lookup in collection %q", collection)
}

// eachChunkPage is how many pieces EachChunk reads per query: no query is
// left open while fn runs (PGlite has one connection for everything).
const eachChunkPage = 1000

// EachChunk calls fn for every piece of the collection, by ID (byte order)
// then piece number, with a vector fn may keep. It reads a page at a time.
func (s *Store) EachChunk(ctx context.Context, collection string, fn func(id string, c salvo.Chunk, v []float32) error) error {
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return err
	}
	type row struct {
		id string
		c  salvo.Chunk
		v  []float32
	}
	page := make([]row, 0, eachChunkPage)
	lastID, lastChunk := "", -1
	for {
		rows, err := s.pool.Query(ctx, `SELECT ch.id, ch.chunk,
				(SELECT count(*) FROM `+s.q.s+`.chunks x WHERE x.collection_id = ch.collection_id AND x.id = ch.id),
				ch.start, ch."end", c.vector
			FROM `+s.q.s+`.chunks ch JOIN `+s.q.s+`.cache c ON c.id = ch.cache_id
			WHERE ch.collection_id = $1 AND (ch.id, ch.chunk) > ($2::text COLLATE "C", $3::int4)
			ORDER BY ch.id, ch.chunk LIMIT $4`, cid, lastID, lastChunk, eachChunkPage)
		if err != nil {
			return s.wrap(err, "read the pieces of collection %q", collection)
		}
		page = page[:0]
		for rows.Next() {
			var (
				r     row
				count int64
			)
			if s.vec {
				var pv pgvector.Vector
				err = rows.Scan(&r.id, &r.c.Index, &count, &r.c.Start, &r.c.End, &pv)
				r.v = pv.Slice()
			} else {
				var b []byte
				err = rows.Scan(&r.id, &r.c.Index, &count, &r.c.Start, &r.c.End, &b)
				if err == nil && len(b)%4 != 0 {
					err = fmt.Errorf("vector of %d bytes is not a whole number of float32s: the table is damaged", len(b))
				}
				r.v = make([]float32, len(b)/4)
				f32le.Decode(r.v, b)
			}
			if err != nil {
				rows.Close()
				return s.wrap(err, "read the pieces of collection %q", collection)
			}
			r.c.Count = int(count)
			page = append(page, r)
		}
		if err := rows.Err(); err != nil {
			return s.wrap(err, "read the pieces of collection %q", collection)
		}
		for _, r := range page {
			if err := fn(r.id, r.c, r.v); err != nil {
				return err
			}
		}
		if len(page) < eachChunkPage {
			return nil
		}
		lastID, lastChunk = page[len(page)-1].id, page[len(page)-1].c.Index
	}
}

// ChunkText returns the text of piece index of record id.
func (s *Store) ChunkText(ctx context.Context, collection, id string, index int) (string, error) {
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return "", err
	}
	var text string
	err = s.pool.QueryRow(ctx, `SELECT c.text FROM `+s.q.s+`.chunks ch JOIN `+s.q.s+`.cache c ON c.id = ch.cache_id
		WHERE ch.collection_id = $1 AND ch.id = $2 AND ch.chunk = $3`, cid, id, index).Scan(&text)
	if isNoRows(err) {
		return "", fmt.Errorf("piece %d of item %q in collection %q in %s: %w", index, id, collection, s.where, salvo.ErrNoChunk)
	}
	return text, s.wrap(err, "read piece %d of item %q in collection %q", index, id, collection)
}

// indexPieceWords gives the words of each record of pieces its whole
// text, its pieces' texts joined, in place of the text of its piece 0
// that the items trigger took. It runs in the Put's transaction, after the
// items are written; a record whose piece 0 is not stored yet has no item,
// and gets its words with the Put of it.
func (s *Store) indexPieceWords(ctx context.Context, tx pgx.Tx, cid int64, pieces []salvo.Item) error {
	if len(pieces) == 0 {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, p := range pieces {
		if !seen[p.ID] {
			seen[p.ID] = true
			ids = append(ids, p.ID)
		}
	}
	rows, err := tx.Query(ctx, `SELECT ch.id, ch.start, ch."end", c.text FROM `+s.q.s+`.chunks ch JOIN `+s.q.s+`.cache c ON c.id = ch.cache_id
		WHERE ch.collection_id = $1 AND ch.id = ANY ($2::text[]) ORDER BY ch.id, ch.chunk`, cid, ids)
	if err != nil {
		return err
	}
	var (
		id, last string
		p        textchunk.Piece
		text     *string
		ps       []textchunk.Piece
		texts    []string
		outIDs   []string
		outTexts []string
	)
	flush := func() {
		if len(ps) > 0 {
			outIDs, outTexts = append(outIDs, last), append(outTexts, textchunk.Join(ps, texts))
		}
		ps, texts = ps[:0], texts[:0]
	}
	if _, err := pgx.ForEachRow(rows, []any{&id, &p.Start, &p.End, &text}, func() error {
		if id != last {
			flush()
			last = id
		}
		t := ""
		if text != nil {
			t = *text
		}
		ps, texts = append(ps, p), append(texts, t)
		return nil
	}); err != nil {
		return err
	}
	flush()
	if len(outIDs) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE `+s.q.s+`.items AS i SET words = `+s.q.s+`.words_of(t.text, i.fields)
		FROM unnest($2::text[], $3::text[]) AS t (id, text) WHERE i.collection_id = $1 AND i.id = t.id`, cid, outIDs, outTexts)
	return err
}
