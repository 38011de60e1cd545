package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/internal/base/f32le"
)

var (
	_ salvo.VectorReader     = (*Store)(nil)
	_ salvo.DocReader        = (*Store)(nil)
	_ salvo.ItemVectorReader = (*Store)(nil)
	_ salvo.FullStore        = (*Store)(nil)
	_ salvo.Indexer          = (*Store)(nil)
)

// docsChunk is how many IDs one query of Docs carries.
const docsChunk = 5000

// Docs returns the embedded text and kept fields of the items with the
// given IDs, in the order asked; an ID that is not stored gets a Doc with
// only its ID. It costs one query per 5,000 IDs.
func (s *Store) Docs(ctx context.Context, collection string, ids []string) ([]salvo.Doc, error) {
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil {
		return nil, err
	}
	docs := make([]salvo.Doc, len(ids))
	for i, id := range ids {
		docs[i].ID = id
	}
	for start := 0; start < len(ids); start += docsChunk {
		chunk := ids[start:min(len(ids), start+docsChunk)]
		// An ID PostgreSQL text cannot hold is not stored: NULL finds nothing.
		arg := make([]*string, len(chunk))
		for i := range chunk {
			if validID(chunk[i]) {
				arg[i] = &chunk[i]
			}
		}
		rows, err := s.pool.Query(ctx, s.q.docs, cid, arg)
		if err != nil {
			return nil, s.wrap(err, "read records of collection %q", collection)
		}
		var (
			ord    int64
			text   string
			fields []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&ord, &text, &fields}, func() error {
			d := &docs[start+int(ord)-1]
			d.Text, d.Fields = text, fields
			fields = nil // the next row gets a slice of its own
			return nil
		})
		if err != nil {
			return nil, s.wrap(err, "read records of collection %q", collection)
		}
	}
	return docs, nil
}

// Vectors reads the whole collection for an in-memory search (salvo search
// on a server without pgvector): IDs in ascending byte order and their
// vectors one after another, from one ordered query in a read-only
// snapshot. Vectors in binary form are decoded straight into the result.
func (s *Store) Vectors(ctx context.Context, collection string) ([]string, []float32, int, error) {
	var (
		ids  []string
		vecs []float32
		dims int
	)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var (
			cid int64
			n   int
			err error
		)
		if cid, dims, err = s.collection(ctx, tx, collection, false); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, s.q.countItems, cid).Scan(&n); err != nil {
			return err
		}
		ids, vecs = make([]string, 0, n), make([]float32, n*dims)
		rows, err := tx.Query(ctx, s.q.allVectors, cid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			i := len(ids)
			if i == n {
				return fmt.Errorf("more items than the %d counted in the same snapshot", n)
			}
			id, err := s.readVector(rows, vecs[i*dims:(i+1)*dims])
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) != n {
			return fmt.Errorf("%d items where %d were counted in the same snapshot", len(ids), n)
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, s.wrap(err, "read collection %q", collection)
	}
	return ids, vecs, dims, nil
}

// readVector reads the current row of (id, vector) into dst, which has
// the collection's dimensions, and returns the ID.
func (s *Store) readVector(rows pgx.Rows, dst []float32) (string, error) {
	raw := rows.RawValues()
	if rows.FieldDescriptions()[1].Format != pgx.BinaryFormatCode || raw[1] == nil {
		// Text (PGlite answers the simple protocol in text): pgx parses it.
		var id string
		v, err := s.scanVector(rows, &id)
		if err == nil && len(v) != len(dst) {
			err = fmt.Errorf("item %q: a vector of %d dimensions in a collection of %d: the table is damaged", id, len(v), len(dst))
		}
		copy(dst, v)
		return id, err
	}
	id, b := string(raw[0]), raw[1] // text is the same bytes in either form
	if !s.vec {
		// bytea: little-endian float32s.
		if len(b) != 4*len(dst) {
			return "", fmt.Errorf("item %q: a vector of %d bytes in a collection of %d dimensions: the table is damaged", id, len(b), len(dst))
		}
		f32le.Decode(dst, b)
		return id, nil
	}
	if !decodePgvector(dst, b) {
		return "", fmt.Errorf("item %q: a vector of %d bytes in a collection of %d dimensions: the table is damaged", id, len(b), len(dst))
	}
	return id, nil
}

// decodePgvector decodes pgvector's binary form into dst: the dimensions
// and a reserved word, 0 (uint16 each), then big-endian float32s. It
// reports false when b is not a vector of len(dst) dimensions.
func decodePgvector(dst []float32, b []byte) bool {
	if len(b) != 4+4*len(dst) || int(binary.BigEndian.Uint16(b)) != len(dst) || binary.BigEndian.Uint16(b[2:]) != 0 {
		return false
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.BigEndian.Uint32(b[4+4*i:]))
	}
	return true
}

// ItemVector returns the vector of one item, nil when the collection has
// no item with that ID (salvo similar on pgvector, which then needs no
// other vector).
func (s *Store) ItemVector(ctx context.Context, collection, id string) ([]float32, error) {
	cid, _, err := s.collection(ctx, s.pool, collection, false)
	if err != nil || !validID(id) {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q.itemVector, cid, id)
	if err != nil {
		return nil, s.wrap(err, "read item %q of collection %q", id, collection)
	}
	defer rows.Close()
	var v []float32
	if rows.Next() {
		var got string
		if v, err = s.scanVector(rows, &got); err != nil {
			return nil, s.wrap(err, "read item %q of collection %q", id, collection)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read item %q of collection %q", id, collection)
	}
	return v, nil
}
