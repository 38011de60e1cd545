package engine

import (
	"hash/maphash"
	"strconv"
	"strings"
)

// DuplicatePolicy says what a run does with a record whose ID an earlier
// record of the same run had. The zero value is DuplicateFail.
type DuplicatePolicy int

const (
	// DuplicateFail stores the first record and reports each later one to
	// the failures sink as "duplicate id, first seen at FILE:LINE".
	DuplicateFail DuplicatePolicy = iota
	// DuplicateFirst stores the first record and skips the later ones.
	DuplicateFirst
	// DuplicateLast stores the last record: an earlier one is not written
	// once a later one with its ID was read, whatever order their requests
	// finish in.
	DuplicateLast
)

// ParseDuplicatePolicy reads "fail", "first" or "last".
func ParseDuplicatePolicy(s string) (DuplicatePolicy, bool) {
	switch s {
	case "fail", "":
		return DuplicateFail, true
	case "first":
		return DuplicateFirst, true
	case "last":
		return DuplicateLast, true
	}
	return 0, false
}

// idSet remembers the IDs a run has read, and where each was first seen, in
// 16 bytes a slot (an open-addressing table of 64-bit hashes, at most 3/4
// full): 34 MB for a million records, instead of the strings. Two
// IDs whose hashes collide (odds about n²/2⁶⁵: 3·10⁻⁸ for a million) would
// be taken for duplicates.
type idSet struct {
	seed  maphash.Seed
	slots []idSlot
	n     int
	files []string       // interned file names of the positions
	index map[string]int // file name → index in files
	odd   map[uint64]string
}

type idSlot struct {
	h   uint64 // 0: empty
	pos uint64 // file index << 32 | line, or ^0 for a position kept in odd
}

func newIDSet() *idSet {
	return &idSet{seed: maphash.MakeSeed(), index: map[string]int{}}
}

func (s *idSet) hash(id string) uint64 {
	h := maphash.String(s.seed, id)
	if h == 0 {
		h = 1
	}
	return h
}

// add records id as seen at where. When id was seen already it returns
// false and where it was first seen.
func (s *idSet) add(h uint64, where string) (first string, fresh bool) {
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.h == h {
			return s.where(h, sl.pos), false
		}
		if sl.h == 0 {
			sl.h, sl.pos = h, s.pos(h, where)
			s.n++
			return "", true
		}
	}
}

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]idSlot, max(1024, 2*len(old)))
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.h == 0 {
			continue
		}
		i := sl.h & mask
		for s.slots[i].h != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}

// pos packs "file:line" into 64 bits, interning the file name.
func (s *idSet) pos(h uint64, where string) uint64 {
	if i := strings.LastIndexByte(where, ':'); i > 0 {
		if line, err := strconv.ParseUint(where[i+1:], 10, 32); err == nil {
			file := where[:i]
			fi, ok := s.index[file]
			if !ok && len(s.files) < 1<<31 {
				fi = len(s.files)
				s.files = append(s.files, file)
				s.index[file] = fi
				ok = true
			}
			if ok {
				return uint64(fi)<<32 | line
			}
		}
	}
	if s.odd == nil {
		s.odd = map[uint64]string{}
	}
	s.odd[h] = where
	return ^uint64(0)
}

func (s *idSet) where(h, pos uint64) string {
	if pos == ^uint64(0) {
		return s.odd[h]
	}
	return s.files[pos>>32] + ":" + strconv.FormatUint(pos&(1<<32-1), 10)
}
