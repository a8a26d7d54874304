package archcheck

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/dataforge/dataforge"

// forbidden are imports that the layer order allows but the design does not.
var forbidden = map[string][]string{
	// Workflow payloads are dftype and workflow types, never store rows.
	"workflows": {"internal/store"},
}

// TestImportsPointDown fails when a package imports one from a higher layer
// of ARCHITECTURE.md's package map, imports something the map forbids, or is
// missing from the map.
func TestImportsPointDown(t *testing.T) {
	root := filepath.Join("..", "..")
	layers, err := packageMap(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := listPackages(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		from, ok := layers[p.path]
		if !ok {
			t.Errorf("%s is not in ARCHITECTURE.md's package map: add a row in its layer", p.path)
			continue
		}
		for _, imp := range p.imports {
			to, ok := layers[imp]
			if !ok {
				continue // reported as a package of its own
			}
			if to.rank < from.rank {
				t.Errorf("%s (%s) imports %s (%s): imports must point down the package map",
					p.path, from.name, imp, to.name)
			}
			for _, f := range forbidden[p.path] {
				if imp == f {
					t.Errorf("%s imports %s, which the package map forbids", p.path, imp)
				}
			}
		}
	}
}

// TestPackageMapRejectsAnUpwardImport checks the check: a map in which a lower
// layer is imported from above is accepted, the reverse is not.
func TestPackageMapRejectsAnUpwardImport(t *testing.T) {
	doc := "## Package map\n\n| layer | package | holds |\n| --- | --- | --- |\n" +
		"| top | `a` | x |\n| | `b` | y |\n| bottom | `c` | z |\n\n## Next\n| x | `d` | w |\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "ARCHITECTURE.md")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	layers, err := packageMap(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 3 {
		t.Fatalf("want 3 packages from the table only, got %v", layers)
	}
	if layers["a"].rank != layers["b"].rank || layers["c"].rank <= layers["a"].rank {
		t.Fatalf("ranks wrong: %v", layers)
	}
	if layers["c"].name != "bottom" || layers["b"].name != "top" {
		t.Fatalf("layer names wrong: %v", layers)
	}
}

type layer struct {
	name string
	rank int // 0 is the top layer
}

var rowRE = regexp.MustCompile("^\\|\\s*([^|]*?)\\s*\\|\\s*`([^`]+)`\\s*\\|")

// packageMap reads the package map table of ARCHITECTURE.md: package path
// (relative to the module) to its layer.
func packageMap(path string) (map[string]layer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	layers := map[string]layer{}
	var in bool
	var cur layer
	cur.rank = -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Package map"
			continue
		case !in:
			continue
		}
		m := rowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[1] != "" {
			cur = layer{name: m[1], rank: cur.rank + 1}
		}
		if cur.rank < 0 {
			return nil, fmt.Errorf("%s: package %s before any layer", path, m[2])
		}
		layers[strings.TrimSuffix(m[2], "/")] = cur
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, errors.New(path + ": no package map table")
	}
	return layers, nil
}

type pkg struct {
	path    string
	imports []string
}

// listPackages lists the module's packages with their non-test imports of
// the module, paths relative to the module.
func listPackages(root string) ([]pkg, error) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "./...")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	rel := func(p string) (string, bool) {
		if p == module {
			return "", true
		}
		r, ok := strings.CutPrefix(p, module+"/")
		return r, ok
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		path, _ := rel(p.ImportPath)
		q := pkg{path: path}
		for _, imp := range p.Imports {
			if r, ok := rel(imp); ok {
				q.imports = append(q.imports, r)
			}
		}
		pkgs = append(pkgs, q)
	}
	return pkgs, nil
}
