package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"unsafe"

	"github.com/salvoembed/salvo"
)

var (
	_ salvo.VectorReader = (*Store)(nil)
	_ salvo.DocReader    = (*Store)(nil)
)

// Vectors reads the whole collection for an in-memory search: IDs in
// ascending byte order and their vectors one after another. It is one
// ordered query whose blobs are copied straight into one slice, so that a
// cold `salvo search` over 100,000 × 768 spends its time in SQLite's page
// reads, not in per-row decoding.
func (s *Store) Vectors(ctx context.Context, collection string) ([]string, []float32, int, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return nil, nil, 0, err
	}
	var n, dims int
	if err := s.st.collSize.QueryRowContext(ctx, cid).Scan(&n, &dims); err != nil {
		return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	rows, err := s.st.each.QueryContext(ctx, cid)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	defer rows.Close()
	ids := make([]string, 0, n)
	vecs := make([]float32, 0, n*dims)
	for rows.Next() {
		var (
			id   string
			blob sql.RawBytes
		)
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
		}
		if len(blob) != 4*dims {
			return nil, nil, 0, fmt.Errorf("read item %q of collection %q in %s: a vector of %d bytes in a collection of %d dimensions: the database is damaged", id, collection, s.path, len(blob), dims)
		}
		ids = append(ids, id)
		at := len(vecs)
		vecs = append(vecs, make([]float32, dims)...)
		if littleEndian && dims > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&vecs[at])), 4*dims), blob)
		} else {
			decodeVectorPortable(vecs[at:], blob)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	return ids, vecs, dims, nil
}

// Docs returns the embedded text and kept fields of the items with the
// given IDs, in the order asked; an ID that is not stored gets a Doc with
// only its ID. It is one query.
func (s *Store) Docs(ctx context.Context, collection string, ids []string) ([]salvo.Doc, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return nil, err
	}
	docs := make([]salvo.Doc, len(ids))
	list := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = appendJSONString(list, id)
		docs[i].ID = id
	}
	list = append(list, ']')
	rows, err := s.st.docs.QueryContext(ctx, cid, string(list))
	if err != nil {
		return nil, fmt.Errorf("read records of collection %q in %s: %w", collection, s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			i      int
			text   string
			fields []byte
		)
		if err := rows.Scan(&i, &text, &fields); err != nil {
			return nil, fmt.Errorf("read records of collection %q in %s: %w", collection, s.path, err)
		}
		docs[i].Text, docs[i].Fields = text, fields
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read records of collection %q in %s: %w", collection, s.path, err)
	}
	return docs, nil
}
