package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scripts/readme-walk.sh compares the shape of the tour's console samples
// with what the commands print: the status sample is compared, passes
// against output of its own shape, and fails against the shape the README
// showed before it had the store line and the runs table. No server needed:
// a stand-in salvo prints the output.
func TestREADMEWalkComparesSampleShapes(t *testing.T) {
	root := repoRoot(t)
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "readme-walk.sh"), "--print").Output()
	if err != nil {
		t.Fatal(err)
	}
	script := string(out)
	first := strings.Index(script, "\nwalk_line=")
	start := strings.Index(script, "cat >\"$walk_tmp/cmd\" <<'WALK_CMD_EOF'\nsalvo status\n")
	if first < 0 || start < 0 {
		t.Fatalf("the walk does not compare the tour's salvo status sample:\n%s", script)
	}
	end := strings.Index(script[start:], "\nwalk_compare\n")
	if end < 0 {
		t.Fatalf("no walk_compare after the status sample:\n%s", script[start:])
	}
	status := script[start : start+end+len("\nwalk_compare\n")]
	for _, want := range []string{"\nstore: ", "\nCOLLECTION  MODEL", "\nSTARTED  "} {
		if !strings.Contains(status, want) {
			t.Errorf("the README's status sample lacks %q:\n%s", want, status)
		}
	}

	for _, tc := range []struct {
		name, salvo string
		ok          bool
	}{
		{"same shape", "cat \"$walk_tmp/sample\" | sed 's/300/299/'", true},
		{"the old sample's shape", "printf 'COLLECTION  MODEL  DIMS  RECORDS\\nmovies  m  384  300\\n'", false},
		{"an extra column", "sed 's/^COLLECTION  MODEL /COLLECTION  MODEL  DIGEST /' \"$walk_tmp/sample\"", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			// The stand-in reads the sample before walk_compare runs it.
			fake := "#!/bin/bash\nwalk_tmp=" + filepath.Join(dir, "walk") + "\n" + tc.salvo + "\n"
			if err := os.WriteFile(filepath.Join(bin, "salvo"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "-c", script[:first+1]+"walk_line=1\n"+status)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "WALK_TMP="+filepath.Join(dir, "walk"))
			got, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("walk_compare: %v, want ok=%v:\n%s", err, tc.ok, got)
			}
			if !tc.ok && !strings.Contains(string(got), "the sample does not have the shape of what `salvo status` prints") {
				t.Errorf("the failure does not say which sample:\n%s", got)
			}
		})
	}
}
