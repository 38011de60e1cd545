package sqlite

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strings"
)

// indexFromSpool writes the vector file of collection cid from its base
// (the previous file, or nothing) and the spool, and returns its header; an
// error wrapping errSpool when the spool does not give the collection.
// The merge streams: the previous file is read in order, three times (for
// the vectors, the IDs' lengths, the IDs), never mapped or held whole.
func (s *Store) indexFromSpool(ctx context.Context, cid int64, sp *vecSpool) (vecHeader, error) {
	st, err := s.vectorState(ctx, cid)
	if err != nil {
		return vecHeader{}, err
	}
	if st.generation != sp.lastGen || len(sp.ids) == 0 {
		return vecHeader{}, fmt.Errorf("%w: the collection changed since", errSpool)
	}
	m := &merge{sp: sp}
	if sp.fromFile {
		if !st.file.Valid || st.file.Int64 != sp.startGen || int(st.dims) != sp.dims {
			return vecHeader{}, fmt.Errorf("%w: its vector file was replaced", errSpool)
		}
		want := vecHeader{dims: int(st.dims), count: int(st.count), collection: cid, generation: sp.startGen, checksum: uint32(st.checksum)}
		m.base, err = openBaseFile(VectorFilePath(s.path, cid), want)
		if err != nil {
			return vecHeader{}, fmt.Errorf("%w: %v", errSpool, err)
		}
		defer m.base.f.Close()
	}
	// The spool's IDs in order, the last vector of each.
	order := make([]int, len(sp.ids))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(sp.ids[a], sp.ids[b]) })
	m.last = order[:0]
	for i, o := range order {
		if i+1 < len(order) && sp.ids[order[i+1]] == sp.ids[o] {
			continue
		}
		m.last = append(m.last, o)
	}
	w, err := newVecWriter(VectorFilePath(s.path, cid), cid, sp.lastGen, sp.dims)
	if err != nil {
		return vecHeader{}, err
	}
	defer w.abort()
	if sp.file != nil {
		if err := sp.file.flush(); err != nil {
			return vecHeader{}, fmt.Errorf("%w: %v", errSpool, err)
		}
	}
	var spErr error
	n, err := m.run(true, func(r mergeRow) {
		if r.spool < 0 {
			w.vector(r.baseVec)
			return
		}
		v, err := sp.vectorBytes(r.spool)
		if err != nil && spErr == nil {
			spErr = err
		}
		w.vector(v)
	})
	if err == nil {
		err = spErr
	}
	if err == nil {
		_, err = m.run(false, func(r mergeRow) {
			if r.spool >= 0 {
				w.idLen(len(sp.ids[r.spool]))
			} else {
				w.idLen(len(r.baseID))
			}
		})
	}
	if err == nil {
		_, err = m.run(false, func(r mergeRow) {
			if r.spool >= 0 {
				writeID(w, sp.ids[r.spool])
			} else {
				writeID(w, r.baseID)
			}
		})
	}
	if err != nil {
		return vecHeader{}, fmt.Errorf("%w: %v", errSpool, err)
	}
	var count int
	if err := s.st.countItemsR.QueryRowContext(ctx, cid).Scan(&count); err != nil {
		return vecHeader{}, err
	}
	if n != count {
		return vecHeader{}, fmt.Errorf("%w: %d records merged, the collection holds %d", errSpool, n, count)
	}
	return w.finish(n)
}

// merge is the collection a spool gives: the records of the base file
// that the spool does not store again, and the spool's last vector of
// each ID it stores, in ID order.
type merge struct {
	base *baseFile // nil for none
	sp   *vecSpool
	last []int // the spool's indexes of the last vector of each ID, in ID order
}

// mergeRow is one record of a merge: the spool's (spool >= 0) or the base
// file's (its ID, and its vector in a pass that reads them). The slices
// are good until the next row.
type mergeRow struct {
	spool   int
	baseID  []byte
	baseVec []byte
}

// run calls fn with each record of the merge in ID order, reading the
// base's vectors too when vecs is set, and returns their number.
func (m *merge) run(vecs bool, fn func(mergeRow)) (int, error) {
	var c *baseCursor
	has := false
	if m.base != nil {
		c = m.base.cursor(vecs)
		var err error
		if has, err = c.next(); err != nil {
			return 0, err
		}
	}
	n, j := 0, 0
	for has || j < len(m.last) {
		cmp := 1 // the spool's next
		switch {
		case !has:
		case j == len(m.last):
			cmp = -1
		default:
			cmp = strings.Compare(string(c.id), m.sp.ids[m.last[j]])
		}
		if cmp <= 0 {
			var v []byte
			if vecs {
				var err error
				if v, err = c.vector(); err != nil {
					return n, err
				}
			}
			if cmp < 0 {
				fn(mergeRow{spool: -1, baseID: c.id, baseVec: v})
			}
		}
		if cmp >= 0 {
			fn(mergeRow{spool: m.last[j]})
			j++
		}
		n++
		if cmp <= 0 {
			var err error
			if has, err = c.next(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// baseFile is a vector file whose header and checksum were checked, read
// section by section without mapping it.
type baseFile struct {
	f *os.File
	h vecHeader
}

// openBaseFile opens the vector file at path and checks it against want,
// its checksum too (one read of the whole file).
func openBaseFile(path string, want vecHeader) (*baseFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	b, err := checkBaseFile(f, want)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

func checkBaseFile(f *os.File, want vecHeader) (*baseFile, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < vecHeaderSize || int64(int(fi.Size())) != fi.Size() {
		return nil, fmt.Errorf("%w: not a regular file of a possible size", errVecFile)
	}
	var hb [vecHeaderSize]byte
	if _, err := io.ReadFull(f, hb[:]); err != nil {
		return nil, err
	}
	h, err := checkVecHeader(hb[:], int(fi.Size()), want)
	if err != nil {
		return nil, err
	}
	crc := crc32.New(crcTable)
	if _, err := io.CopyBuffer(crc, io.NewSectionReader(f, vecHeaderSize, fi.Size()-vecHeaderSize), make([]byte, 1<<18)); err != nil {
		return nil, err
	}
	if sum := crc.Sum32(); sum != h.checksum {
		return nil, fmt.Errorf("%w: checksum %08x, header says %08x: the file is damaged", errVecFile, sum, h.checksum)
	}
	return &baseFile{f: f, h: h}, nil
}

// baseCursor reads a base file's records in order.
type baseCursor struct {
	h          vecHeader
	vecs       *bufio.Reader // nil when the vectors are not read
	offs, ids  *bufio.Reader
	i          int    // records read
	end        uint64 // the end of the last ID read in the ID bytes
	id, prevID []byte
	vec        []byte
}

func (b *baseFile) cursor(vecs bool) *baseCursor {
	h := b.h
	vecEnd := int64(vecHeaderSize) + 4*int64(h.count)*int64(h.dims)
	offsEnd := vecEnd + 8*int64(h.count+1)
	c := &baseCursor{
		h:    h,
		offs: bufio.NewReaderSize(io.NewSectionReader(b.f, vecEnd, offsEnd-vecEnd), 1<<16),
		ids:  bufio.NewReaderSize(io.NewSectionReader(b.f, offsEnd, int64(h.idBytes)), 1<<16),
		i:    -1, // the first offset is not read yet
	}
	if vecs {
		c.vecs = bufio.NewReaderSize(io.NewSectionReader(b.f, vecHeaderSize, vecEnd-vecHeaderSize), 1<<18)
		c.vec = make([]byte, 4*h.dims)
	}
	return c
}

// next reads the next record's ID into c.id, and says whether there was one.
func (c *baseCursor) next() (bool, error) {
	var u [8]byte
	if c.i < 0 {
		if _, err := io.ReadFull(c.offs, u[:]); err != nil {
			return false, err
		}
		if binary.LittleEndian.Uint64(u[:]) != 0 {
			return false, fmt.Errorf("%w: ID offsets do not start at 0", errVecFile)
		}
		c.i = 0
	}
	if c.i == c.h.count {
		if c.end != uint64(c.h.idBytes) {
			return false, fmt.Errorf("%w: %d ID bytes unused", errVecFile, uint64(c.h.idBytes)-c.end)
		}
		return false, nil
	}
	if _, err := io.ReadFull(c.offs, u[:]); err != nil {
		return false, err
	}
	end := binary.LittleEndian.Uint64(u[:])
	if end < c.end || end > uint64(c.h.idBytes) {
		return false, fmt.Errorf("%w: ID %d out of bounds", errVecFile, c.i)
	}
	c.id, c.prevID = c.prevID, c.id
	c.id = slices.Grow(c.id[:0], int(end-c.end))[:end-c.end]
	if _, err := io.ReadFull(c.ids, c.id); err != nil {
		return false, err
	}
	if c.i > 0 && string(c.id) <= string(c.prevID) {
		return false, fmt.Errorf("%w: IDs out of order at %d", errVecFile, c.i)
	}
	c.end = end
	c.i++
	return true, nil
}

// vector reads the vector of the record next read, good until the next.
func (c *baseCursor) vector() ([]byte, error) {
	_, err := io.ReadFull(c.vecs, c.vec)
	return c.vec, err
}
