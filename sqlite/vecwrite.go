package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"

	"github.com/salvoembed/salvo/internal/base/atomicfile"
	"github.com/salvoembed/salvo/internal/base/f32le"
)

// vecWriter writes a vector file as a stream, section after section (the
// vectors in ID order, then the IDs' lengths, then the IDs), computing the
// checksum as it goes, so that no more than its buffers is ever in memory
// whatever the collection's size; finish writes the header and puts the
// file in place, abort leaves no trace. A writer that went wrong keeps its
// first error and finish returns it.
type vecWriter struct {
	path      string
	f         *atomicfile.File
	file      *bufio.Writer // the file
	body      *bufio.Writer // the file after the header, and the checksum
	crc       hash.Hash32
	h         vecHeader
	vecs      int    // vectors written
	lens      int    // ID lengths written
	ids       int    // IDs written
	off       uint64 // the sum of the ID lengths written
	cur, prev []byte // the ID written last, and the one before
	err       error
}

// newVecWriter starts the vector file at path of collection cid at
// generation, of vectors of dims floats. Temporary files that a killed
// writer left beside path go first.
func newVecWriter(path string, cid, generation int64, dims int) (*vecWriter, error) {
	if dims <= 0 {
		return nil, fmt.Errorf("vector file %s: vectors of %d dimensions", path, dims)
	}
	removeStaleTemps(path)
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	w := &vecWriter{path: path, f: f, crc: crc32.New(crcTable), h: vecHeader{dims: dims, collection: cid, generation: generation}}
	w.file = bufio.NewWriterSize(f, 1<<18)
	w.body = bufio.NewWriterSize(multi{w.file, w.crc}, 1<<16)
	if _, err := w.file.Write(make([]byte, vecHeaderSize)); err != nil { // written last
		f.Cleanup()
		return nil, err
	}
	return w, nil
}

// fail records the writer's first error.
func (w *vecWriter) fail(format string, a ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("vector file %s: "+format, append([]any{w.path}, a...)...)
	}
}

// vector writes the next vector, dims little-endian float32 in b.
func (w *vecWriter) vector(b []byte) {
	switch {
	case w.err != nil:
		return
	case len(b) != 4*w.h.dims:
		w.fail("a vector of %d bytes, not %d", len(b), 4*w.h.dims)
	case w.lens > 0:
		w.fail("a vector after the IDs")
	default:
		_, w.err = w.body.Write(b)
		w.vecs++
	}
}

// vectorFloats writes the next vector.
func (w *vecWriter) vectorFloats(v []float32) {
	if len(v) != w.h.dims {
		w.fail("a vector of %d dimensions, not %d", len(v), w.h.dims)
	}
	w.vector(f32le.Bytes(v))
}

// idLen writes the length of the next ID (its offset), after the vectors.
func (w *vecWriter) idLen(n int) {
	if w.err != nil {
		return
	}
	var u [8]byte
	if w.lens == 0 {
		w.body.Write(u[:]) // the first offset: 0
	}
	w.off += uint64(n)
	binary.LittleEndian.PutUint64(u[:], w.off)
	_, w.err = w.body.Write(u[:])
	w.lens++
}

// writeID writes the next ID, after their lengths; IDs come in ascending
// byte order, each of the length given.
func writeID[T string | []byte](w *vecWriter, id T) {
	if w.err != nil {
		return
	}
	if w.ids == 0 && w.lens != w.vecs {
		w.fail("%d ID lengths for %d vectors", w.lens, w.vecs)
		return
	}
	w.cur = append(w.cur[:0], id...)
	switch {
	case w.ids > 0 && string(w.cur) <= string(w.prev):
		w.fail("ID %q after %q: not in ascending order", w.cur, w.prev)
		return
	case w.ids >= w.lens:
		w.fail("more IDs than ID lengths (%d)", w.lens)
		return
	}
	_, w.err = w.body.Write(w.cur)
	w.h.idBytes += len(w.cur)
	w.ids++
	w.cur, w.prev = w.prev, w.cur
}

// finish checks that count records were written whole, writes the header
// and puts the file in place; the header is returned.
func (w *vecWriter) finish(count int) (vecHeader, error) {
	w.h.count = count
	switch {
	case w.err != nil:
	case w.vecs != count || w.lens != count || w.ids != count:
		w.fail("%d vectors, %d ID lengths and %d IDs written for %d records", w.vecs, w.lens, w.ids, count)
	case count == 0:
		w.body.Write(make([]byte, 8)) // the first offset: 0
	}
	if w.err == nil && (uint64(w.h.idBytes) != w.off || w.h.size() < 0) {
		w.fail("%d IDs of %d bytes (%d given) of %d dimensions do not fit", count, w.h.idBytes, w.off, w.h.dims)
	}
	if w.err != nil {
		w.abort()
		return w.h, w.err
	}
	if err := w.body.Flush(); err != nil {
		w.abort()
		return w.h, err
	}
	if err := w.file.Flush(); err != nil {
		w.abort()
		return w.h, err
	}
	w.h.checksum = w.crc.Sum32()
	var hb [vecHeaderSize]byte
	w.h.encode(hb[:])
	if _, err := w.f.WriteAt(hb[:], 0); err != nil {
		w.abort()
		return w.h, err
	}
	if err := w.f.Commit(); err != nil {
		w.abort()
		return w.h, err
	}
	return w.h, nil
}

// abort removes the file being written; after finish, it does nothing.
func (w *vecWriter) abort() { w.f.Cleanup() }

// writeVectorFile writes ids and vecs (sorted IDs, their vectors row after
// row) as the vector file at path, replacing it whole (a reader that has
// the old one mapped keeps it), and returns its header.
func writeVectorFile(path string, cid, generation int64, ids []string, vecs []float32, dims int) (vecHeader, error) {
	if dims <= 0 || len(vecs) != len(ids)*dims {
		return vecHeader{}, fmt.Errorf("vector file %s: %d IDs, %d floats of %d dimensions do not fit", path, len(ids), len(vecs), dims)
	}
	w, err := newVecWriter(path, cid, generation, dims)
	if err != nil {
		return vecHeader{}, err
	}
	for i := range ids {
		w.vectorFloats(vecs[i*dims : (i+1)*dims])
	}
	for _, id := range ids {
		w.idLen(len(id))
	}
	for _, id := range ids {
		writeID(w, id)
	}
	return w.finish(len(ids))
}

// multi writes to the file and the checksum at once.
type multi struct {
	w   *bufio.Writer
	crc interface{ Write([]byte) (int, error) }
}

func (m multi) Write(p []byte) (int, error) {
	m.crc.Write(p)
	return m.w.Write(p)
}

// errEmpty: an empty collection has no vector file.
var errEmpty = errors.New("the collection is empty")

// indexFromDatabase writes the vector file of collection cid from the
// database and returns its header, or errEmpty. It streams: one read
// transaction (one snapshot: the file is the collection at the generation
// it gives) reads the vectors in ID order straight into the file, then the
// IDs twice (their lengths, then the IDs), so that memory stays the same
// whatever the collection's size. SQLite reads pages into its own small
// cache rather than mapping the database, whose pages would otherwise
// count in the process's memory. An error writing the file is a
// *VectorFileError.
func (s *Store) indexFromDatabase(ctx context.Context, collection string, cid int64) (vecHeader, error) {
	h, err := s.streamFromDatabase(ctx, cid)
	var werr *vecWriteError
	switch {
	case errors.As(err, &werr):
		return h, &VectorFileError{Path: VectorFilePath(s.path, cid), Collection: collection, Err: werr.err}
	case err != nil && !errors.Is(err, errEmpty):
		return h, fmt.Errorf("read collection %q of %s: %w", collection, s.path, err)
	}
	return h, err
}

// vecWriteError is an error of the file, not of the database.
type vecWriteError struct{ err error }

func (e *vecWriteError) Error() string { return e.err.Error() }

func (s *Store) streamFromDatabase(ctx context.Context, cid int64) (h vecHeader, err error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return h, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA mmap_size = 0"); err != nil {
		return h, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return h, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "COMMIT") //nolint:errcheck // a read: nothing to commit
	var gen int64
	err = conn.QueryRowContext(ctx, `SELECT generation FROM vector_files WHERE collection_id = ?`, cid).Scan(&gen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, err
	}
	var n, dims int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM items WHERE collection_id = ?1), dims FROM collections WHERE id = ?1`, cid).Scan(&n, &dims); err != nil {
		return h, err
	}
	if n == 0 {
		return h, errEmpty
	}
	w, err := newVecWriter(VectorFilePath(s.path, cid), cid, gen, dims)
	if err != nil {
		return h, &vecWriteError{err}
	}
	defer w.abort()
	each := func(q string, fn func(b sql.RawBytes)) error {
		rows, err := conn.QueryContext(ctx, q, cid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b sql.RawBytes
			if err := rows.Scan(&b); err != nil {
				return err
			}
			fn(b)
		}
		return rows.Err()
	}
	var damaged error
	err = each(`SELECT c.vector FROM items AS i JOIN cache AS c ON c.id = i.cache_id WHERE i.collection_id = ? ORDER BY i.id`,
		func(b sql.RawBytes) {
			if len(b) != 4*dims && damaged == nil {
				damaged = fmt.Errorf("a vector of %d bytes in a collection of %d dimensions: the database is damaged", len(b), dims)
			}
			w.vector(b)
		})
	if err == nil {
		err = damaged
	}
	const ids = `SELECT id FROM items WHERE collection_id = ? ORDER BY id`
	if err == nil {
		err = each(ids, func(b sql.RawBytes) { w.idLen(len(b)) })
	}
	if err == nil {
		err = each(ids, func(b sql.RawBytes) { writeID(w, []byte(b)) })
	}
	if err != nil {
		return h, err
	}
	if h, err = w.finish(n); err != nil {
		return h, &vecWriteError{err}
	}
	return h, nil
}
