package testtool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FileState is what a refused command must leave alone: a file's bytes and modification time.
type FileState struct {
	Sum   [32]byte
	Size  int64
	MTime time.Time
}

// StateOf returns the state of the file at path.
func StateOf(t testing.TB, path string) FileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return FileState{Sum: sha256.Sum256(b), Size: info.Size(), MTime: info.ModTime()}
}

// RunToExit runs a command that must stop by itself within 15 s, with stdin as its standard
// input, and returns its exit code and standard error.
func RunToExit(t testing.TB, stdin, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not exit within 15 s; stderr:\n%s", filepath.Base(bin), args, stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// AssertRefused checks a refusal a person can act on: exit status 1, one line that says want,
// and no Go crash dump.
func AssertRefused(t testing.TB, code int, stderr, want string) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit status %d, want 1; stderr:\n%s", code, stderr)
	}
	if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
		t.Errorf("stderr has %d lines, want one line:\n%s", n+1, stderr)
	}
	for _, dump := range []string{"goroutine ", "SIGBUS", "SIGSEGV", "panic"} {
		if strings.Contains(stderr, dump) {
			t.Errorf("stderr contains %q (a crash, not a refusal):\n%s", dump, stderr)
		}
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
}
