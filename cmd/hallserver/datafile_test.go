package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/internal/testtool"

	bbolt "go.etcd.io/bbolt"
)

// highWater returns the size of the data a bbolt file holds by its meta page (the high-water
// mark times the page size): a file shorter than this is truncated.
func highWater(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// copyFile copies src to dst with the given length (-1: all of it).
func copyFile(t *testing.T, src, dst string, n int64) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		b = b[:n]
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// goodDataFile returns a data file written by a real server: demo accounts and a few tickets.
func goodDataFile(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "good.db")
	p := startProc(t, data)
	for i := 0; i < 20; i++ {
		if code, b, err := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "A"}); err != nil || code != 201 {
			t.Fatalf("issue: %d %v %s", code, err, b)
		}
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	return data
}

// TestDamagedDataFileIsRefused starts the real server on a truncated, an empty, a garbage and an
// inwardly damaged data file: each time it must refuse with one line and exit status 1, before
// it maps the file, and leave the file exactly as it was (no empty database in its place).
func TestDamagedDataFileIsRefused(t *testing.T) {
	good := goodDataFile(t)
	hw := highWater(t, good)
	dir := t.TempDir()
	cases := []struct {
		name  string
		make  func(path string)
		extra []string
		want  string
	}{
		{"truncated to half", func(p string) { copyFile(t, good, p, hw/2) }, nil, "truncated"},
		{"truncated by one page", func(p string) { copyFile(t, good, p, hw-4096) }, nil, "truncated"},
		{"empty", func(p string) { copyFile(t, good, p, 0) }, nil, "empty"},
		{"garbage", func(p string) {
			b := bytes.Repeat([]byte("not a database "), 4096)
			os.WriteFile(p, b, 0o600)
		}, nil, "not a OneDoor data file"},
		{"pages zeroed, -check", func(p string) {
			b, _ := os.ReadFile(good)
			clear(b[2*4096 : hw])
			os.WriteFile(p, b, 0o600)
		}, []string{"-check"}, "damaged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".db")
			c.make(path)
			before := testtool.StateOf(t, path)
			args := append([]string{"-demo", "-addr", freeAddr(t), "-data", path}, c.extra...)
			code, stderr := testtool.RunToExit(t, "", hallserverBin, args...)
			testtool.AssertRefused(t, code, stderr, c.want)
			if after := testtool.StateOf(t, path); after != before {
				t.Errorf("the refused file changed: before %+v, after %+v", before, after)
			}
		})
	}
}

// TestInitAndCheckFlags: -init starts a new database in an existing empty file; -check passes
// a sound file; a missing file is still created without -init.
func TestInitAndCheckFlags(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, empty, "-init")
	if code, b, _ := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "A"}); code != 201 {
		t.Fatalf("issue on an -init file: %d %s", code, b)
	}
	p.kill()
	startProc(t, goodDataFile(t), "-check").kill()
	startProc(t, filepath.Join(dir, "new", "onedoor.db")).kill()
}
