package sqlite

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckHeader reads any first bytes of a would-be database: no panic,
// and a file that is not SQLite, or that carries another application id, is
// refused.
func FuzzCheckHeader(f *testing.F) {
	h := make([]byte, 100)
	copy(h, sqliteMagic)
	f.Add(h)
	binary.BigEndian.PutUint32(h[68:], applicationID)
	f.Add(append([]byte(nil), h...))
	binary.BigEndian.PutUint32(h[68:], 42)
	f.Add(h)
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "x.db")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		err := checkHeader(path)
		isSQLite := len(b) >= 100 && strings.HasPrefix(string(b), sqliteMagic)
		switch {
		case len(b) == 0:
			if err != nil {
				t.Fatalf("an empty file is a new database: %v", err)
			}
		case !isSQLite:
			if err == nil {
				t.Fatal("a file that is not SQLite passed")
			}
		default:
			id := binary.BigEndian.Uint32(b[68:72])
			if (id == 0 || id == applicationID) != (err == nil) {
				t.Fatalf("application id %#x: %v", id, err)
			}
		}
	})
}
