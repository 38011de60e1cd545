package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCompareCPU runs `bench/compare.sh cpu` as docs/BENCHMARKS.md does
// (the guide's approaches beside salvo, and salvo alone with SALVO_BIN),
// on 200 movies, and reads its table: every approach stored every record
// (salvo the duplicate IDs once), and each has a CPU cost per embedding.
func TestCompareCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the guide's Python scripts and salvo: a few seconds")
	}
	var missing []string
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		missing = append(missing, "time")
	}
	if exec.Command("/usr/bin/python3", "-c", "import aiohttp, requests").Run() != nil {
		missing = append(missing, "python3-aiohttp python3-requests")
	}
	if len(missing) > 0 {
		msg := "bench/compare.sh needs GNU time and Python's aiohttp and requests: apt-get install -y " + strings.Join(missing, " ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := buildSalvo(t)
	for _, tc := range []struct {
		args []string
		want []string // the approaches of the table, in order
	}{
		{[]string{"cpu", "200"}, []string{"salvo", "salvo", "guide: asyncio + aiohttp", "guide: ThreadPoolExecutor",
			"guide: multiprocessing Pool", "guide: multiprocessing Pool", "guide: sequential"}},
		{[]string{"cpu", "200", "--salvo-only"}, []string{"salvo", "salvo"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out := filepath.Join(t.TempDir(), "table.md")
			cmd := exec.CommandContext(ctx, "bench/compare.sh", append(tc.args, "--out", out)...)
			cmd.Dir = repoRoot(t)
			cmd.Env = append(os.Environ(), "SALVO_BIN="+bin)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("bench/compare.sh %s: %v\n%s", strings.Join(tc.args, " "), err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			rows := compareRows(t, string(b))
			if len(rows) != len(tc.want) {
				t.Fatalf("%d approaches in the table, want %d:\n%s", len(rows), len(tc.want), b)
			}
			dup := regexp.MustCompile(`^(\d+) \(\+(\d+) dup\)$`)
			for i, r := range rows {
				if r["approach"] != tc.want[i] {
					t.Errorf("row %d is %q, want %q", i, r["approach"], tc.want[i])
				}
				stored := r["embedded"]
				if m := dup.FindStringSubmatch(stored); m != nil {
					a, _ := strconv.Atoi(m[1])
					d, _ := strconv.Atoi(m[2])
					stored = strconv.Itoa(a + d)
				}
				if stored != "200" {
					t.Errorf("%s %s: embedded %q, want the 200 records", r["approach"], r["flags"], r["embedded"])
				}
				if ms, err := strconv.ParseFloat(r["CPU ms/emb"], 64); err != nil || ms <= 0 {
					t.Errorf("%s %s: CPU ms/emb %q", r["approach"], r["flags"], r["CPU ms/emb"])
				}
			}
		})
	}
}

// compareRows reads the rows of compare.sh's markdown table, each as its
// columns by heading.
func compareRows(t *testing.T, table string) []map[string]string {
	t.Helper()
	var head []string
	var rows []map[string]string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if head == nil {
			head = cells
			continue
		}
		if len(cells) != len(head) {
			t.Fatalf("a row of %d cells under %d headings: %q", len(cells), len(head), line)
		}
		r := map[string]string{}
		for i, h := range head {
			r[h] = cells[i]
		}
		rows = append(rows, r)
	}
	if head == nil {
		t.Fatalf("no table in:\n%s", table)
	}
	return rows
}
