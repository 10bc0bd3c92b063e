// Package testtool finds the outside programs that tests run (zbarimg, soxi, espeak-ng, chromium,
// Xvfb …). scripts/deps.sh is the one place that names them: each of its package lines says which
// programs it provides. A test that needs a program calls Path, which fails (never skips) with the
// Debian package to install when the program is missing.
package testtool

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Program is one outside program named in scripts/deps.sh.
type Program struct {
	Name    string // the program, as exec.LookPath finds it
	Package string // the Debian package (or pinned npm package) that provides it
	Why     string // which tests run it, as deps.sh says
}

// providesLine matches a deps.sh package line: "  pkg  # provides: prog1 prog2 — why".
var providesLine = regexp.MustCompile(`^\s*([@a-z0-9][@a-z0-9./+-]*)\s+#\s*provides:\s*([^—]+?)\s*(?:—\s*(.*))?$`)

// ParseDeps reads the "provides:" lines of a deps.sh script: program name → Program.
func ParseDeps(path string) (map[string]Program, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("testtool: %w", err)
	}
	defer f.Close()
	progs := map[string]Program{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := providesLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		for _, name := range strings.Fields(m[2]) {
			progs[name] = Program{Name: name, Package: m[1], Why: m[3]}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("testtool: read %s: %w", path, err)
	}
	return progs, nil
}

// Root returns the module root (the directory holding go.mod) above the working directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testtool: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testtool: no go.mod above the working directory")
		}
		dir = parent
	}
}

// NPMPrefix is where scripts/deps.sh installs the pinned npm tools the tests run:
// $ONEDOOR_NPM_PREFIX, else onedoor/npm in the user's cache directory (~/.cache), shared by every
// clone so that CI installs them once.
func NPMPrefix() string {
	if p := os.Getenv("ONEDOOR_NPM_PREFIX"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = filepath.Join(os.TempDir(), "cache")
	}
	return filepath.Join(dir, "onedoor", "npm")
}

// DepsScript is the path of scripts/deps.sh in the module.
func DepsScript() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "scripts", "deps.sh"), nil
}

// Path returns the path of the outside program name, which scripts/deps.sh must name. When the
// program is missing the test fails with the Debian package that provides it.
func Path(t testing.TB, name string) string {
	t.Helper()
	deps, err := DepsScript()
	if err != nil {
		t.Fatal(err)
	}
	progs, err := ParseDeps(deps)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := progs[name]
	if !ok {
		t.Fatalf("testtool: %s is not named in scripts/deps.sh: add the Debian package that provides it there", name)
	}
	if strings.Contains(p.Package, "@") { // a pinned npm package: only the version deps.sh installs
		path, err := exec.LookPath(filepath.Join(NPMPrefix(), "node_modules", ".bin", name))
		if err != nil {
			t.Fatalf("%s is not installed: scripts/deps.sh test installs the npm package %s into %s", name, p.Package, NPMPrefix())
		}
		return path
	}
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: install the Debian package %s (make test runs scripts/deps.sh test, which does)", name, p.Package)
	}
	return path
}
