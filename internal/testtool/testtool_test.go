package testtool

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// builtins are programs every Debian machine with Go has (the toolchain, the shell, coreutils):
// a test may run them without deps.sh naming them.
var builtins = map[string]bool{"go": true, "sh": true, "cat": true, "true": true, "false": true}

// runs finds the literal program names a Go test file runs or looks up.
var runs = regexp.MustCompile(`(?:exec\.Command(?:Context)?\((?:ctx, )?|exec\.LookPath\(|testtool\.Path\(t, )"([A-Za-z0-9_.-]+)"`)

// TestEveryProgramTestsRunIsInstalledByDeps scans every *_test.go file of the module for programs
// it runs and checks scripts/deps.sh names the package that provides each (a fresh machine's
// `make test` failed when display/voice ran soxi and deps.sh did not install sox).
func TestEveryProgramTestsRunIsInstalledByDeps(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	progs, err := ParseDeps(filepath.Join(root, "scripts", "deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "data" || d.Name() == "out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range runs.FindAllStringSubmatch(string(b), -1) {
			found[m[1]] = append(found[m[1]], rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"zbarimg", "soxi", "espeak-ng"} {
		if _, ok := found[want]; !ok {
			t.Errorf("the scan found no test running %s: the scanner is broken", want)
		}
	}
	var names []string
	for n := range found {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if builtins[n] {
			continue
		}
		if _, ok := progs[n]; !ok {
			t.Errorf("%s runs %s, but scripts/deps.sh names no package that provides it", strings.Join(found[n], ", "), n)
		}
	}
}

func TestParseDeps(t *testing.T) {
	p := filepath.Join(t.TempDir(), "deps.sh")
	os.WriteFile(p, []byte("x=(\n  sox   # provides: soxi sox — voice tests\n  gcc\n  zbar-tools # provides: zbarimg\n)\n"), 0o644)
	progs, err := ParseDeps(p)
	if err != nil {
		t.Fatal(err)
	}
	if progs["soxi"].Package != "sox" || progs["sox"].Package != "sox" || progs["soxi"].Why != "voice tests" || progs["zbarimg"].Package != "zbar-tools" || len(progs) != 3 {
		t.Fatalf("ParseDeps = %+v", progs)
	}
}

func TestPathFailsNamingThePackage(t *testing.T) {
	ft := &fakeT{TB: t}
	func() {
		defer func() { recover() }()
		Path(ft, "no-such-program-onedoor")
	}()
	if !strings.Contains(ft.msg, "not named in scripts/deps.sh") {
		t.Fatalf("Path of an unknown program said %q", ft.msg)
	}
}

type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(fmtSprintf(format, args...))
	panic("fatal")
}
func (f *fakeT) Fatal(args ...any) { f.msg = strings.TrimSpace(fmtSprint(args...)); panic("fatal") }
