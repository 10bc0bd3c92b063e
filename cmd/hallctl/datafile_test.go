package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"onedoor/internal/testtool"
)

// TestDamagedFilesAreRefused runs the real hallctl on a truncated, an empty, a garbage and an
// inwardly damaged backup given to restore, and on a truncated data file given to the commands
// that open it: each must exit with status 1 and one line, no Go crash dump, and leave the data
// file exactly as it was (no temporary file left next to it either).
func TestDamagedFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hallctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build hallctl: %v\n%s", err, out)
	}
	dataDir := filepath.Join(dir, "data")
	data := filepath.Join(dataDir, "onedoor.db")
	for i, name := range []string{"wang", "li", "zhao"} {
		if code, stderr := testtool.RunToExit(t, "long-enough-pw\n", bin, "staff", "add", "-data", data, "-username", name, "-role", "counter", "-halls", "students"); code != 0 {
			t.Fatalf("staff add %d: %d %s", i, code, stderr)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	if code, stderr := testtool.RunToExit(t, "", bin, "backup", "-data", data, "-o", backup); code != 0 {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	good, err := os.ReadFile(backup) // a backup is exactly as long as its meta page says
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	zeroed := bytes.Clone(good)
	clear(zeroed[2*4096:])
	damaged := map[string]string{
		"truncated": write("truncated.db", good[:len(good)/2]),
		"empty":     write("empty.db", nil),
		"garbage":   write("garbage.db", bytes.Repeat([]byte("not a database "), 4096)),
		"zeroed":    write("zeroed.db", zeroed),
	}
	check := func(t *testing.T, code int, stderr, want string, path string, before testtool.FileState) {
		t.Helper()
		testtool.AssertRefused(t, code, stderr, want)
		if after := testtool.StateOf(t, path); after != before {
			t.Errorf("%s changed: before %+v, after %+v", path, before, after)
		}
	}
	for kind, file := range damaged {
		t.Run("restore "+kind, func(t *testing.T) {
			before := testtool.StateOf(t, data)
			code, stderr := testtool.RunToExit(t, "", bin, "restore", "-data", data, file)
			want := map[string]string{"truncated": "truncated", "empty": "empty", "garbage": "not a OneDoor data file", "zeroed": "damaged"}[kind]
			check(t, code, stderr, want, data, before)
			if left, _ := filepath.Glob(filepath.Join(dataDir, "*restore*")); len(left) > 0 {
				t.Errorf("temporary files left next to the data file: %v", left)
			}
		})
	}
	// A truncated data file: the commands that open it refuse it.
	trunc := damaged["truncated"]
	for _, args := range [][]string{
		{"staff", "add", "-data", trunc, "-username", "sun", "-role", "counter", "-halls", "students"},
		{"device", "add", "-data", trunc, "-role", "kiosk", "-hall", "students"},
		{"backup", "-data", trunc, "-o", filepath.Join(dir, "out.db")},
	} {
		t.Run(args[0]+" on a truncated file", func(t *testing.T) {
			before := testtool.StateOf(t, trunc)
			code, stderr := testtool.RunToExit(t, "long-enough-pw\n", bin, args...)
			check(t, code, stderr, "truncated", trunc, before)
		})
	}
	// The sound backup still restores.
	if code, stderr := testtool.RunToExit(t, "", bin, "restore", "-data", data, backup); code != 0 {
		t.Fatalf("restore of a sound backup: %d %s", code, stderr)
	}
}
