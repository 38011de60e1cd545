package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"github.com/salvoembed/salvo/internal/base/f32le"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/salvoembed/salvo"
)

var (
	_ salvo.VectorReader = (*Store)(nil)
	_ salvo.DocReader    = (*Store)(nil)
	_ salvo.FullStore    = (*Store)(nil)
)

// Vectors reads the whole collection for an in-memory search: IDs in
// ascending byte order and their vectors one after another. A cold
// `salvo search` spends most of its time here. When the collection's
// vector file (written by [Store.Index]) is current and sound, the vectors
// are that file mapped into memory: shared by every call, never to be
// changed, kept mapped for the life of the process. Otherwise they are read
// from the database.
func (s *Store) Vectors(ctx context.Context, collection string) ([]string, []float32, int, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return nil, nil, 0, err
	}
	if ids, vecs, dims, err := s.vectorsFromFile(ctx, cid); err == nil {
		return ids, vecs, dims, nil
	}
	return s.vectorsSQL(ctx, collection, cid)
}

// vectorsSQL reads the collection from the database. The read is cut into
// as many ranges of IDs as there are CPUs (at most the read connections),
// each an ordered query of BLOBs on its own connection with SQLite's
// memory-mapped I/O (no read system call per page), copied straight into
// its part of one slice.
func (s *Store) vectorsSQL(ctx context.Context, collection string, cid int64) ([]string, []float32, int, error) {
	var n, dims int
	if err := s.st.collSize.QueryRowContext(ctx, cid).Scan(&n, &dims); err != nil {
		return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	parts := min(runtime.GOMAXPROCS(0), maxReaders, max(1, n/minVectorsPart))
	// bounds[p] is the first ID of part p; the last part runs to the end.
	bounds := make([]string, parts)
	for p := 1; p < parts; p++ {
		if err := s.st.idAt.QueryRowContext(ctx, cid, p*n/parts).Scan(&bounds[p]); err != nil {
			return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
		}
	}
	ids := make([]string, n)
	vecs := make([]float32, n*dims)
	g, gctx := errgroup.WithContext(ctx)
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		g.Go(func() error {
			upper := "" // no upper bound for the last part
			if p+1 < parts {
				upper = bounds[p+1]
			}
			got, err := s.readVectors(gctx, cid, bounds[p], upper, ids[lo:hi], vecs[lo*dims:hi*dims], dims)
			if err == nil && got != hi-lo {
				err = fmt.Errorf("%d vectors where %d were counted: the collection changed while it was read; try again", got, hi-lo)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, 0, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	return ids, vecs, dims, nil
}

// minVectorsPart is the fewest rows worth a connection of their own.
const minVectorsPart = 8192

// mmapSize is how much of the file a reading connection maps into memory.
const mmapSize = 1 << 40

// readVectors reads the items of collection cid with from <= id < to (no
// upper bound when to is empty; "" is below every ID) into ids and vecs,
// and returns how many it read.
func (s *Store) readVectors(ctx context.Context, cid int64, from, to string, ids []string, vecs []float32, dims int) (int, error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA mmap_size = %d", int64(mmapSize))); err != nil {
		return 0, err
	}
	q := `SELECT i.id, c.vector FROM items AS i JOIN cache AS c ON c.id = i.cache_id
		WHERE i.collection_id = ?1 AND i.id >= ?2 AND (?3 = '' OR i.id < ?3) ORDER BY i.id`
	rows, err := conn.QueryContext(ctx, q, cid, from, to)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var (
			id   string
			blob sql.RawBytes
		)
		if err := rows.Scan(&id, &blob); err != nil {
			return i, err
		}
		if len(blob) != 4*dims {
			return i, fmt.Errorf("item %q: a vector of %d bytes in a collection of %d dimensions: the database is damaged", id, len(blob), dims)
		}
		if i == len(ids) {
			return i + 1, nil // more than counted: the caller reports it
		}
		ids[i] = id
		dst := vecs[i*dims : (i+1)*dims]
		f32le.Decode(dst, blob)
		i++
	}
	return i, rows.Err()
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
		list = append(list, '"') // hex, as in Lookup: IDs reach SQLite byte for byte
		list = hex.AppendEncode(list, []byte(id))
		list = append(list, '"')
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
			at     sql.NullInt64
			refs   sql.NullString
		)
		if err := rows.Scan(&i, &text, &fields, &at, &refs); err != nil {
			return nil, fmt.Errorf("read records of collection %q in %s: %w", collection, s.path, err)
		}
		if refs.Valid {
			var ok bool
			if fields, ok = joinRefs(fields, refs.String, text); !ok {
				return nil, fmt.Errorf("read record %q of collection %q in %s: its fields do not hold the places of the values its text holds: the database is damaged", docs[i].ID, collection, s.path)
			}
		}
		if at.Valid {
			var ok bool
			if fields, ok = joinText(fields, int(at.Int64), text); !ok {
				return nil, fmt.Errorf("read record %q of collection %q in %s: its fields do not hold the place of its text: the database is damaged", docs[i].ID, collection, s.path)
			}
		}
		docs[i].Text, docs[i].Fields = text, fields
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read records of collection %q in %s: %w", collection, s.path, err)
	}
	return docs, nil
}
