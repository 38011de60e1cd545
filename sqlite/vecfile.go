package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/salvoembed/salvo/internal/base/f32le"
)

// The vector file: a derived, checked copy of one collection's IDs and
// vectors beside the database (VectorFilePath), so that a cold search maps
// one file instead of stepping through 100,000 rows. SQLite stays the one
// source of truth: the vector_files table records the generation of the
// collection the file was built from and the file's checksum, and the file
// is used only when that generation is the collection's current one and its
// header and CRC-32 agree with SQLite. A missing, stale or damaged file is
// ignored (the vectors are read from SQLite, as without it) and rebuilt by
// the next Index (salvo embed calls it at the end of a run).
//
// Layout, little-endian:
//
//	 0  magic "SALVOVEC"
//	 8  uint32 format version (1)
//	12  uint32 dims
//	16  uint64 count
//	24  int64  collection id
//	32  int64  generation
//	40  uint64 length of the ID bytes
//	48  uint32 CRC-32 (IEEE) of everything after the header
//	52  zeros up to 64
//	64  count × dims float32: the vectors, in ID order
//	    (count+1) uint64: offsets of the IDs in the ID bytes, from 0
//	    the ID bytes, one ID after another
const (
	vecFileMagic   = "SALVOVEC"
	vecFileVersion = 1
	vecHeaderSize  = 64
)

// The checksum is CRC-32 (IEEE), which Go computes with carry-less
// multiplication: 4 GB/s on the machine of docs/BENCHMARKS.md, against
// 0.5 GB/s for CRC-32C, where it is most of a cold search's CPU time.
var crcTable = crc32.IEEETable

// vectorFilesMigration is schema step 6. The generation is bumped in the
// transaction of every change: by triggers for a deleted item, a change of
// the vector an item points at, or a new vector for a cached key (which
// every collection may share); by Put, once, for the items it inserts
// (from step 12, putGenerationSchema; before, a trigger per item).
const vectorFilesMigration = vectorFilesTable + `
	INSERT INTO vector_files (collection_id) SELECT id FROM collections;
	` + vectorFilesTriggers

// vectorFilesTable holds each collection's generation and what its vector
// file was written from.
const vectorFilesTable = `CREATE TABLE vector_files (
		collection_id   INTEGER PRIMARY KEY REFERENCES collections (id) ON DELETE CASCADE,
		generation      INTEGER NOT NULL DEFAULT 0,
		file_generation INTEGER,
		file_checksum   INTEGER,
		file_count      INTEGER,
		file_dims       INTEGER
	);`

// vectorFilesTriggers keep the generations (schema step 6). Step 12
// drops vector_files_item_added (putGenerationSchema); a new file gets the
// others, newVectorFilesTriggers.
const vectorFilesTriggers = vectorFilesNewCollection + `
	CREATE TRIGGER vector_files_item_added AFTER INSERT ON items BEGIN
		UPDATE vector_files SET generation = generation + 1 WHERE collection_id = NEW.collection_id;
	END;
	` + vectorFilesOtherTriggers

// newVectorFilesTriggers are the triggers on the generations from schema
// step 12 on.
const newVectorFilesTriggers = vectorFilesNewCollection + `
	` + vectorFilesOtherTriggers

// vectorFilesNewCollection gives each new collection its row.
const vectorFilesNewCollection = `CREATE TRIGGER vector_files_new_collection AFTER INSERT ON collections BEGIN
		INSERT OR IGNORE INTO vector_files (collection_id) VALUES (NEW.id);
	END;`

// vectorFilesOtherTriggers bump the generation for an item deleted or
// repointed and for a cached vector replaced.
const vectorFilesOtherTriggers = `CREATE TRIGGER vector_files_item_deleted AFTER DELETE ON items BEGIN
		UPDATE vector_files SET generation = generation + 1 WHERE collection_id = OLD.collection_id;
	END;
	CREATE TRIGGER vector_files_item_changed AFTER UPDATE OF collection_id, id, cache_id ON items
	WHEN OLD.collection_id IS NOT NEW.collection_id OR OLD.id IS NOT NEW.id OR OLD.cache_id IS NOT NEW.cache_id BEGIN
		UPDATE vector_files SET generation = generation + 1 WHERE collection_id IN (OLD.collection_id, NEW.collection_id);
	END;
	CREATE TRIGGER vector_files_vector_changed AFTER UPDATE OF vector ON cache
	WHEN OLD.vector IS NOT NEW.vector BEGIN
		UPDATE vector_files SET generation = generation + 1;
	END;`

// VectorFilePath is the vector file of the collection with row id cid of
// the database at dbPath: "salvo.db" → "salvo.db-vectors-1".
func VectorFilePath(dbPath string, cid int64) string {
	return dbPath + "-vectors-" + strconv.FormatInt(cid, 10)
}

// vecHeader is a vector file's header.
type vecHeader struct {
	dims       int
	count      int
	collection int64
	generation int64
	idBytes    int
	checksum   uint32
}

// size is the length of the whole file the header describes, or -1 when
// it would not fit in an int.
func (h vecHeader) size() int {
	const maxInt = int(^uint(0) >> 1)
	if h.dims <= 0 || h.count < 0 || h.idBytes < 0 || h.count > (maxInt-vecHeaderSize)/(4*h.dims+8)-1 {
		return -1
	}
	n := vecHeaderSize + h.count*(4*h.dims+8) + 8
	if h.idBytes > maxInt-n {
		return -1
	}
	return n + h.idBytes
}

// encode writes the header into b[:vecHeaderSize].
func (h vecHeader) encode(b []byte) {
	clear(b[:vecHeaderSize])
	copy(b, vecFileMagic)
	binary.LittleEndian.PutUint32(b[8:], vecFileVersion)
	binary.LittleEndian.PutUint32(b[12:], uint32(h.dims))
	binary.LittleEndian.PutUint64(b[16:], uint64(h.count))
	binary.LittleEndian.PutUint64(b[24:], uint64(h.collection))
	binary.LittleEndian.PutUint64(b[32:], uint64(h.generation))
	binary.LittleEndian.PutUint64(b[40:], uint64(h.idBytes))
	binary.LittleEndian.PutUint32(b[48:], h.checksum)
}

// errVecFile is the error of a vector file that cannot be used; the
// vectors are then read from SQLite.
var errVecFile = errors.New("vector file unusable")

// parseVectorFile checks b, a whole vector file, against what SQLite
// recorded (want: collection, generation, checksum, dims and count) and
// returns its IDs and vectors. The vectors share b's memory on a
// little-endian machine; the IDs are copied.
func parseVectorFile(b []byte, want vecHeader) ([]string, []float32, error) {
	h, err := checkVecHeader(b, len(b), want)
	if err != nil {
		return nil, nil, err
	}
	if sum := crc32.Checksum(b[vecHeaderSize:], crcTable); sum != h.checksum {
		return nil, nil, fmt.Errorf("%w: checksum %08x, header says %08x: the file is damaged", errVecFile, sum, h.checksum)
	}
	vecEnd := vecHeaderSize + 4*h.count*h.dims
	offs := b[vecEnd : vecEnd+8*(h.count+1)]
	all := string(b[vecEnd+len(offs):]) // one copy of every ID
	ids := make([]string, h.count)
	prev := uint64(0)
	if binary.LittleEndian.Uint64(offs) != 0 {
		return nil, nil, fmt.Errorf("%w: ID offsets do not start at 0", errVecFile)
	}
	for i := range ids {
		end := binary.LittleEndian.Uint64(offs[8*(i+1):])
		if end < prev || end > uint64(len(all)) {
			return nil, nil, fmt.Errorf("%w: ID %d out of bounds", errVecFile, i)
		}
		ids[i] = all[prev:end]
		if i > 0 && ids[i] <= ids[i-1] {
			return nil, nil, fmt.Errorf("%w: IDs out of order at %d", errVecFile, i)
		}
		prev = end
	}
	if prev != uint64(len(all)) {
		return nil, nil, fmt.Errorf("%w: %d ID bytes unused", errVecFile, uint64(len(all))-prev)
	}
	raw := b[vecHeaderSize:vecEnd]
	if h.count == 0 {
		return ids, []float32{}, nil
	}
	if f32le.Native {
		return ids, unsafe.Slice((*float32)(unsafe.Pointer(&raw[0])), h.count*h.dims), nil
	}
	vecs := make([]float32, h.count*h.dims)
	f32le.Decode(vecs, raw)
	return ids, vecs, nil
}

// checkVecHeader decodes the header at the start of b, that of a vector
// file of size bytes, and checks it against want (all but the length of
// the ID bytes, which the database does not record).
func checkVecHeader(b []byte, size int, want vecHeader) (vecHeader, error) {
	if len(b) < vecHeaderSize || string(b[:8]) != vecFileMagic {
		return vecHeader{}, fmt.Errorf("%w: not a vector file", errVecFile)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != vecFileVersion {
		return vecHeader{}, fmt.Errorf("%w: format version %d", errVecFile, v)
	}
	u64 := func(off int) (int, bool) {
		v := binary.LittleEndian.Uint64(b[off:])
		return int(v), v <= uint64(^uint(0)>>1)
	}
	count, ok1 := u64(16)
	idBytes, ok2 := u64(40)
	h := vecHeader{
		dims:       int(binary.LittleEndian.Uint32(b[12:])),
		count:      count,
		collection: int64(binary.LittleEndian.Uint64(b[24:])),
		generation: int64(binary.LittleEndian.Uint64(b[32:])),
		idBytes:    idBytes,
		checksum:   binary.LittleEndian.Uint32(b[48:]),
	}
	if !ok1 || !ok2 || h.size() != size || string(b[52:vecHeaderSize]) != string(make([]byte, vecHeaderSize-52)) {
		return vecHeader{}, fmt.Errorf("%w: %d bytes, not the size its header gives", errVecFile, size)
	}
	want.idBytes = h.idBytes // the database does not record it; the checksum covers it
	if h != want {
		return vecHeader{}, fmt.Errorf("%w: built from collection %d generation %d (checksum %08x, %d × %d); the database records collection %d generation %d (checksum %08x, %d × %d)",
			errVecFile, h.collection, h.generation, h.checksum, h.count, h.dims, want.collection, want.generation, want.checksum, want.count, want.dims)
	}
	return h, nil
}

// staleTempAge is how old a temporary vector file must be to be taken for
// one that a killed writer left: a younger one may be another process's
// write in progress.
const staleTempAge = 10 * time.Minute

// removeStaleTemps removes the temporary files of the vector file at path
// (".NAME.tmp-*", see atomicfile) older than staleTempAge.
func removeStaleTemps(path string) {
	dir, base := filepath.Split(path)
	matches, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTempAge {
			os.Remove(m)
		}
	}
}

// globEscape escapes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// putGenerationSchema takes a file to schema 12. The trigger that bumped a
// collection's generation for each item inserted ran an UPDATE of
// vector_files per row, about a tenth of a salvo embed's CPU on an instant
// server; Put, the one statement that inserts items (upsertItemsSQL),
// bumps it once when its rows changed anything.
const putGenerationSchema = `DROP TRIGGER vector_files_item_added;`
