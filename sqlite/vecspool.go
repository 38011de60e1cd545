package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// The vector file is written from the vectors a run stores, not read back
// from the database: each Put into a collection keeps a copy of the
// vectors of the items it writes (a spool), and Index merges them into the
// vector file the collection had when the spool began (or into nothing, for
// a collection that was empty), as the database would have given them.
//
// The spool is trusted only if it saw every change to the collection: each
// Put reads the collection's generation (vector_files, bumped at every
// change) in its transaction before and after its writes, and the
// spool goes on only when the generation before is the one the previous Put
// left. Any other change (another process's run, DeleteItems, a cached
// vector replaced, which changes the records of every collection that
// share it) breaks the chain, the spool is dropped, and Index reads the
// collection from the database as before. Index checks again that the
// generation is the spool's last and that the merged count is the
// collection's.

// maxSpool bounds the floats a Store keeps in memory for its vector
// files: 128 MiB (43,000 vectors of 768 dimensions), held until Index or
// Close. A spool that would grow past it moves its vectors to a temporary
// file beside the database (spoolfile.go), up to maxSpoolRecords vectors;
// one that cannot is dropped, and Index reads the collection from the
// database. A variable so that tests can lower it.
var maxSpool = 1 << 25

// spoolSlab is how many floats one slab of a spool holds.
const spoolSlab = 1 << 20

// vecSpool is what the Puts into one collection stored since its vector
// file was last written, in the order they stored it.
type vecSpool struct {
	startGen int64 // the generation of the collection when the spool began
	fromFile bool  // the base is the vector file of startGen, else empty
	lastGen  int64 // the generation after the last Put
	dims     int
	ids      []string
	slabs    [][]float32 // the vectors, dims floats each, ids[i] at i*dims
	mapped   []bool      // whether slabs[i] came from allocSlab
	floats   int
	file     *spoolFile // the vectors, once outgrown the memory; then no slabs
}

// free returns the spool's memory; the spool is empty after.
func (sp *vecSpool) free() {
	for i, sl := range sp.slabs {
		if sp.mapped[i] {
			freeSlab(sl)
		}
	}
	if sp.file != nil {
		sp.file.close()
	}
	sp.slabs, sp.mapped, sp.ids, sp.floats, sp.file = nil, nil, nil, 0, nil
}

// vector returns the i-th vector of the spool.
func (sp *vecSpool) vector(i int) []float32 {
	per := spoolSlab / sp.dims * sp.dims
	off := i * sp.dims
	s := sp.slabs[off/per]
	return s[off%per : off%per+sp.dims]
}

// add appends a copy of v under id.
func (sp *vecSpool) add(id string, v []float32) {
	if sp.file != nil {
		sp.file.add(v)
		sp.ids = append(sp.ids, id)
		sp.floats += len(v)
		return
	}
	per := spoolSlab / sp.dims * sp.dims
	off := len(sp.ids) * sp.dims
	if off/per == len(sp.slabs) {
		// Outside Go's heap (internal/base/offheap), where it does not
		// move the garbage collector's goal.
		sl := allocSlab(per)
		sp.mapped = append(sp.mapped, sl != nil)
		if sl == nil {
			sl = make([]float32, 0, per)
		}
		sp.slabs = append(sp.slabs, sl)
	}
	last := len(sp.slabs) - 1
	sp.slabs[last] = append(sp.slabs[last], v...)
	sp.ids = append(sp.ids, id)
	sp.floats += len(v)
}

// spools holds a Store's spools by collection row id.
type spools struct {
	m map[int64]*vecSpool
}

// spoolPut is what one Put adds to its collection's spool, staged until
// its transaction commits.
type spoolPut struct {
	cid      int64
	before   int64 // the generation at the start of the Put
	base     *vecSpool
	ids      []string
	vecs     [][]float32
	broken   bool // the Put changed what it cannot spool (a cached vector replaced)
	disabled bool // nothing to spool: the base is unknown
}

// beginSpool reads the collection's generation in tx at the start of a
// Put and says what the Put's vectors may be added to. Called with
// s.spoolMu held.
func (s *Store) beginSpool(ctx context.Context, tx *sql.Tx, cid int64) (*spoolPut, error) {
	p := &spoolPut{cid: cid}
	var file sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT generation, file_generation FROM vector_files WHERE collection_id = ?`, cid).Scan(&p.before, &file)
	if errors.Is(err, sql.ErrNoRows) {
		p.disabled = true
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	if sp := s.spool.m[cid]; sp != nil && sp.lastGen == p.before {
		p.base = sp
		return p, nil
	}
	// A new spool: on the file of this generation, or on an empty
	// collection.
	fromFile := file.Valid && file.Int64 == p.before
	if !fromFile {
		var empty bool
		if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM items WHERE collection_id = ?)`, cid).Scan(&empty); err != nil {
			return nil, err
		}
		if !empty {
			p.disabled = true
			return p, nil
		}
	}
	p.base = &vecSpool{startGen: p.before, fromFile: fromFile, lastGen: p.before}
	return p, nil
}

// add stages the vector of an item the Put writes.
func (p *spoolPut) add(id string, v []float32) {
	if p == nil || p.disabled || p.broken {
		return
	}
	p.ids = append(p.ids, id)
	p.vecs = append(p.vecs, v)
}

// commitSpool records the Put's vectors once tx has committed (ok) at
// generation after; a Put that failed, or broke the chain, drops the
// collection's spool. Called with s.spoolMu held.
func (s *Store) commitSpool(p *spoolPut, ok bool, after int64, dims int) {
	if p == nil {
		return
	}
	sp := p.base
	if !ok || p.disabled || p.broken || sp == nil || (sp.dims != 0 && sp.dims != dims) || dims <= 0 ||
		len(sp.ids)+len(p.ids) > maxSpoolRecords {
		s.dropSpool(p.cid)
		return
	}
	for _, v := range p.vecs {
		if len(v) != dims {
			s.dropSpool(p.cid)
			return
		}
	}
	sp.dims = dims
	drop := func() {
		if s.spool.m[p.cid] != sp {
			sp.free() // a new spool, not in the map yet
		}
		s.dropSpool(p.cid)
	}
	if sp.file == nil && sp.floats+len(p.ids)*dims > maxSpool {
		if err := sp.spill(VectorFilePath(s.path, p.cid)); err != nil {
			drop()
			return
		}
	}
	for i, id := range p.ids {
		sp.add(id, p.vecs[i])
	}
	if sp.file != nil && sp.file.flush() != nil {
		drop()
		return
	}
	sp.lastGen = after
	if s.spool.m == nil {
		s.spool.m = make(map[int64]*vecSpool)
	}
	s.spool.m[p.cid] = sp
}

// dropSpool forgets the collection's spool. Called with s.spoolMu held.
func (s *Store) dropSpool(cid int64) {
	if sp := s.spool.m[cid]; sp != nil {
		sp.free()
	}
	delete(s.spool.m, cid)
}

// closeSpools frees every spool, when the Store closes.
func (s *Store) closeSpools() {
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	for cid := range s.spool.m {
		s.dropSpool(cid)
	}
}

// takeSpool removes and returns the collection's spool.
func (s *Store) takeSpool(cid int64) *vecSpool {
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	sp := s.spool.m[cid]
	delete(s.spool.m, cid)
	return sp
}

// errSpool: the spool cannot give the collection as it is; Index reads it
// from the database instead.
var errSpool = errors.New("the vectors stored by this process do not make the whole collection")

// readVectorFile maps the vector file at path and checks it against want;
// the caller unmaps b once done with ids and vecs.
func readVectorFile(path string, want vecHeader) (b []byte, ids []string, vecs []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < vecHeaderSize || int64(int(fi.Size())) != fi.Size() {
		return nil, nil, nil, fmt.Errorf("%w: %s is not a regular file of a possible size", errVecFile, path)
	}
	b, err = mapFile(f, int(fi.Size()))
	if err != nil {
		return nil, nil, nil, err
	}
	ids, vecs, err = parseVectorFile(b, want)
	if err != nil {
		unmapFile(b)
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, ids, vecs, nil
}
