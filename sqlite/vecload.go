package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/salvoembed/salvo"
)

var _ salvo.Indexer = (*Store)(nil)

// vectorState is a collection's row of vector_files: its generation and
// what the database records of its vector file.
type vectorState struct {
	generation int64
	file       sql.NullInt64 // the generation the file was built from
	checksum   int64
	count      int64
	dims       int64
}

// current says whether the recorded file was built from the collection as
// it is now.
func (v vectorState) current() bool { return v.file.Valid && v.file.Int64 == v.generation }

func (s *Store) vectorState(ctx context.Context, cid int64) (vectorState, error) {
	var v vectorState
	var sum, count, dims sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT generation, file_generation, file_checksum, file_count, file_dims
		FROM vector_files WHERE collection_id = ?`, cid).Scan(&v.generation, &v.file, &sum, &count, &dims)
	if errors.Is(err, sql.ErrNoRows) {
		return v, nil // never a file: file stays NULL
	}
	v.checksum, v.count, v.dims = sum.Int64, count.Int64, dims.Int64
	return v, err
}

// mappedFile is a vector file this Store checked and mapped: the vectors
// stay mapped for the life of the process, since callers keep them, and a
// second read of the same file returns the same slices.
type mappedFile struct {
	want vecHeader
	ids  []string
	vecs []float32
}

// vectorFiles holds the files a Store mapped, by path.
type vectorFiles struct {
	mu   sync.Mutex
	byID map[string]*mappedFile
}

// vectorsFromFile returns the collection's IDs and vectors from its vector
// file when SQLite says the file is current and the file agrees (header and
// checksum), else an error saying why it was not used.
func (s *Store) vectorsFromFile(ctx context.Context, cid int64) ([]string, []float32, int, error) {
	st, err := s.vectorState(ctx, cid)
	if err != nil {
		return nil, nil, 0, err
	}
	if !st.current() {
		return nil, nil, 0, fmt.Errorf("%w: not built from the collection's current state", errVecFile)
	}
	want := vecHeader{dims: int(st.dims), count: int(st.count), collection: cid, generation: st.generation, checksum: uint32(st.checksum)}
	path := VectorFilePath(s.path, cid)
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	if m := s.files.byID[path]; m != nil && m.want.collection == want.collection && m.want.generation == want.generation &&
		m.want.checksum == want.checksum && m.want.count == want.count && m.want.dims == want.dims {
		return m.ids, m.vecs, want.dims, nil
	}
	_, ids, vecs, err := readVectorFile(path, want)
	if err != nil {
		return nil, nil, 0, err
	}
	if s.files.byID == nil {
		s.files.byID = make(map[string]*mappedFile)
	}
	s.files.byID[path] = &mappedFile{want: want, ids: ids, vecs: vecs}
	return ids, vecs, want.dims, nil
}

// Index writes the collection's vector file, from which [Store.Vectors]
// then maps the collection in one go, and records it in the database: salvo
// embed calls it at the end of a run that succeeded. A file that is current
// and sound already is left as it is. When this Store stored every change
// since the file was last written (or since the collection was empty), the
// file is written from the vectors it stored and the previous file, without
// reading the collection back (vecspool.go). Either way the file is
// written as a stream, in memory that does not grow with the collection.
// If the collection changes while the file is written (another process's
// run), the file waits for the next Index. A file that cannot be written is a *[VectorFileError]; the
// vectors stay stored, and search reads them from the database.
func (s *Store) Index(ctx context.Context, collection string) error {
	if s.readOnly {
		return s.readOnlyErr(fmt.Sprintf("write the vector file of collection %q", collection))
	}
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return err
	}
	sp := s.takeSpool(cid)
	if _, _, _, err := s.vectorsFromFile(ctx, cid); err == nil {
		if sp != nil {
			sp.free()
		}
		return nil
	}
	path := VectorFilePath(s.path, cid)
	if sp != nil {
		h, err := s.indexFromSpool(ctx, cid, sp)
		sp.free()
		switch {
		case err == nil:
			return s.recordVectorFile(ctx, collection, cid, h)
		case errors.Is(err, errSpool):
			// Read the collection from the database, below.
		default:
			return &VectorFileError{Path: path, Collection: collection, Err: err}
		}
	}
	h, err := s.indexFromDatabase(ctx, collection, cid)
	switch {
	case errors.Is(err, errEmpty):
		return nil
	case err != nil:
		return err
	}
	return s.recordVectorFile(ctx, collection, cid, h)
}

// recordVectorFile records in the database the vector file h describes.
func (s *Store) recordVectorFile(ctx context.Context, collection string, cid int64, h vecHeader) error {
	// Recorded only if the collection is still at the generation the file
	// holds; else it waits for the next Index, never trusted.
	_, err := s.w.ExecContext(ctx, `UPDATE vector_files SET file_generation = ?1, file_checksum = ?2, file_count = ?3, file_dims = ?4
		WHERE collection_id = ?5 AND generation = ?1`, h.generation, int64(h.checksum), h.count, h.dims, cid)
	if err != nil {
		return s.explain(fmt.Errorf("record the vector file of collection %q in %s: %w", collection, s.path, err))
	}
	return nil
}

// VectorFileError is the error of a vector file that could not be written.
// Nothing stored is lost: searches read the vectors from the database,
// more slowly, until a later Index writes the file.
type VectorFileError struct {
	Path       string
	Collection string
	Err        error
}

func (e *VectorFileError) Error() string {
	return fmt.Sprintf("write the vector file %s of collection %q: %v (the vectors are stored; searches read them from the database, more slowly, until the file is written: free space or fix the folder's permissions, then index the collection again: salvo embed does at the end of every run)",
		e.Path, e.Collection, e.Err)
}

func (e *VectorFileError) Unwrap() error { return e.Err }

// VectorFileCurrent reports whether the collection's vector file is
// current and sound, that is whether [Store.Vectors] maps it rather than
// reading the database.
func (s *Store) VectorFileCurrent(ctx context.Context, collection string) (bool, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return false, err
	}
	_, _, _, err = s.vectorsFromFile(ctx, cid)
	return err == nil, nil
}

// VectorFileRecorded reports whether the collection's vector file is the
// one the database records for the collection as it is now, by the
// database's generations and the file's size and header only, without
// reading the whole file: what `salvo status` shows. A file that passes
// may still fail its checksum when a search maps it ([Store.VectorFileCurrent]
// checks that too).
func (s *Store) VectorFileRecorded(ctx context.Context, collection string) (bool, error) {
	cid, err := s.collectionID(ctx, collection)
	if err != nil {
		return false, err
	}
	st, err := s.vectorState(ctx, cid)
	if err != nil {
		return false, fmt.Errorf("read the vector file state of collection %q in %s: %w", collection, s.path, err)
	}
	if !st.current() {
		return false, nil
	}
	want := vecHeader{dims: int(st.dims), count: int(st.count), collection: cid, generation: st.generation, checksum: uint32(st.checksum)}
	f, err := os.Open(VectorFilePath(s.path, cid))
	if err != nil {
		return false, nil
	}
	defer f.Close()
	var b [vecHeaderSize]byte
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false, nil
	}
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false, nil
	}
	var got vecHeader
	if string(b[:8]) != vecFileMagic || binary.LittleEndian.Uint32(b[8:]) != vecFileVersion {
		return false, nil
	}
	got.dims = int(binary.LittleEndian.Uint32(b[12:]))
	got.count = int(binary.LittleEndian.Uint64(b[16:]))
	got.collection = int64(binary.LittleEndian.Uint64(b[24:]))
	got.generation = int64(binary.LittleEndian.Uint64(b[32:]))
	got.idBytes = int(binary.LittleEndian.Uint64(b[40:]))
	got.checksum = binary.LittleEndian.Uint32(b[48:])
	want.idBytes = got.idBytes
	return got == want && int64(got.size()) == fi.Size(), nil
}
