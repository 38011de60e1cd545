package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// layerNames are the rows of docs/ARCHITECTURE.md's drawing, top first;
// "tools" stand beside the layers.
var layerNames = []string{"application", "services", "adapters", "foundations", "domain", "tools"}

// readLayers reads the drawing that follows "<!-- layers -->" in
// docs/ARCHITECTURE.md: each package (a folder of the module, "salvo" for
// the root) and the index of its layer.
func readLayers(t *testing.T, root string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	layers := map[string]int{}
	state := 0 // 0 before the marker, 1 before the fence, 2 inside
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == 0 && line == "<!-- layers -->":
			state = 1
		case state == 1 && strings.HasPrefix(line, "```"):
			state = 2
		case state == 2 && strings.HasPrefix(line, "```"):
			return layers
		case state == 2:
			words := strings.Fields(line)
			if len(words) == 0 {
				continue
			}
			for i, name := range layerNames {
				if words[0] != name {
					continue
				}
				for _, w := range words[1:] {
					if strings.HasPrefix(w, "(") {
						break
					}
					if w == "salvo" {
						w = "."
					}
					layers[w] = i
				}
			}
		}
	}
	t.Fatal("docs/ARCHITECTURE.md has no drawing of the layers after <!-- layers -->")
	return nil
}

// layerOf is the layer of a package: that of the longest folder of the
// drawing that holds it (internal/tools/moviegen/cmd/genmovies is internal/tools/moviegen's).
func layerOf(layers map[string]int, pkg string) (int, bool) {
	for p := pkg; ; p = filepath.Dir(p) {
		if l, ok := layers[p]; ok {
			return l, true
		}
		if p == "." || !strings.Contains(p, "/") {
			return 0, false // the root holds no other folder's packages
		}
	}
}

// The drawing of the layers in docs/ARCHITECTURE.md holds every package of
// the module, and no import runs from a lower layer up to a higher one, or
// from the application's code into the test and tool packages.
func TestArchitectureLayers(t *testing.T) {
	root := repoRoot(t)
	layers := readLayers(t, root)
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/salvoembed/salvo"
	rel := func(p string) (string, bool) {
		if p == module {
			return ".", true
		}
		r, ok := strings.CutPrefix(p, module+"/")
		return r, ok
	}
	tools := len(layerNames) - 1
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, _ := rel(fields[0])
		from, ok := layerOf(layers, pkg)
		if !ok {
			t.Errorf("package %s is in no layer of the drawing in docs/ARCHITECTURE.md (## Layers): add it to its row", pkg)
			continue
		}
		if from == tools {
			continue
		}
		for _, imp := range fields[1:] {
			dep, ok := rel(imp)
			if !ok {
				continue
			}
			to, ok := layerOf(layers, dep)
			if !ok {
				continue // reported as a package of its own
			}
			switch {
			case to == tools:
				t.Errorf("%s (%s) imports %s, a test or tool package", pkg, layerNames[from], dep)
			case to < from:
				t.Errorf("%s (%s) imports %s (%s): an import up a layer", pkg, layerNames[from], dep, layerNames[to])
			}
		}
	}
}
