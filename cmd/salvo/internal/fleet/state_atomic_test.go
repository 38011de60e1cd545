package fleet

import (
	"os"
	"path/filepath"
	"testing"
)

// Save replaces the state file through a temporary file of its own, keeps
// the file's mode, and leaves nothing else in the folder.
func TestSaveKeepsModeAndFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.json")
	s := &State{Ollama: "/bin/ollama", Instances: []Instance{{Host: "127.0.0.1:11500", PID: 10}}}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Instances = append(s.Instances, Instance{Host: "127.0.0.1:11501", PID: 11})
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after Save, want the file's 0600", fi.Mode().Perm())
	}
	if got, err := Load(path); err != nil || len(got.Instances) != 2 {
		t.Errorf("Load = %+v, %v", got, err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the folder holds %d entries, want only fleet.json", len(es))
	}
}
