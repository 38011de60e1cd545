package sqlite

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"slices"
	"testing"
)

// FuzzBaseFile: the streaming reader of a previous vector file (what a
// merge from the spool reads) accepts what parseVectorFile accepts, and
// gives the same IDs and vectors; no input makes it panic. The fuzzer's
// input gets a correct checksum, so that both look past it.
func FuzzBaseFile(f *testing.F) {
	dir := f.TempDir()
	for i, c := range []struct {
		ids  []string
		dims int
	}{{[]string{"a", "b", "é"}, 3}, {nil, 4}, {[]string{""}, 1}, {[]string{"x", "yy"}, 2}, {[]string{"b", "a"}, 1}} {
		path := fmt.Sprintf("%s/seed%d", dir, i)
		vecs := make([]float32, len(c.ids)*c.dims)
		for j := range vecs {
			vecs[j] = float32(j) / 7
		}
		swap := !slices.IsSorted(c.ids) // the writer refuses: swap the ID bytes after
		slices.Sort(c.ids)
		if _, err := writeVectorFile(path, 3, 9, c.ids, vecs, c.dims); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if swap {
			b[len(b)-1], b[len(b)-2] = b[len(b)-2], b[len(b)-1]
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want vecHeader
		if len(b) >= vecHeaderSize {
			binary.LittleEndian.PutUint32(b[48:], crc32.Checksum(b[vecHeaderSize:], crcTable))
			want = vecHeader{dims: int(uint32le(b[12:])), count: int(uint64le(b[16:])), collection: int64(uint64le(b[24:])),
				generation: int64(uint64le(b[32:])), idBytes: int(uint64le(b[40:])), checksum: uint32le(b[48:])}
		}
		ids, vecs, perr := parseVectorFile(b, want)
		path := t.TempDir() + "/base"
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		var gotVecs []byte
		bf, serr := openBaseFile(path, want)
		if serr == nil {
			defer bf.f.Close()
			m := &merge{base: bf, sp: &vecSpool{}}
			_, serr = m.run(true, func(r mergeRow) {
				gotIDs = append(gotIDs, string(r.baseID))
				gotVecs = append(gotVecs, r.baseVec...)
			})
		}
		if (perr == nil) != (serr == nil) {
			t.Fatalf("parseVectorFile: %v; the streaming reader: %v", perr, serr)
		}
		if perr != nil {
			return
		}
		wantVecs := make([]byte, 4*len(vecs))
		for i, v := range vecs {
			binary.LittleEndian.PutUint32(wantVecs[4*i:], math.Float32bits(v))
		}
		if !slices.Equal(gotIDs, ids) || string(gotVecs) != string(wantVecs) {
			t.Fatalf("the streaming reader gives %q and %d vector bytes, parseVectorFile %q and %d", gotIDs, len(gotVecs), ids, len(wantVecs))
		}
	})
}
