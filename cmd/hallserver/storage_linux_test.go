package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// health is the JSON of /healthz.
type health struct {
	Status  string `json:"status"`
	Storage *struct {
		OK          bool     `json:"ok"`
		Reasons     []string `json:"reasons"`
		FreeBytes   int64    `json:"freeBytes"`
		CommitError string   `json:"lastCommitError"`
	} `json:"storage"`
}

func (p *proc) health(t *testing.T) (int, health) {
	t.Helper()
	code, b, err := p.do("GET", "/healthz", "", nil)
	if err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	var h health
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("/healthz body %q: %v", b, err)
	}
	if h.Storage == nil { // says nothing about the storage
		h.Storage = &struct {
			OK          bool     `json:"ok"`
			Reasons     []string `json:"reasons"`
			FreeBytes   int64    `json:"freeBytes"`
			CommitError string   `json:"lastCommitError"`
		}{OK: code == 200}
	}
	return code, h
}

// metric returns the line of /metrics that starts with name.
func (p *proc) metric(t *testing.T, name string) string {
	t.Helper()
	_, b, err := p.do("GET", "/metrics", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return ""
}

// startAnswering starts a server and waits until /healthz answers at all (200 or 503).
func startAnswering(t *testing.T, data string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: freeAddr(t), data: data}
	t.Cleanup(p.kill)
	p.cmd = exec.Command(hallserverBin, append([]string{"-demo", "-addr", p.addr, "-data", data}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + p.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
	}
	t.Fatalf("hallserver did not answer /healthz; log:\n%s", p.logs())
	return nil
}

// TestHealthzReportsAFullDisk runs the real server on a 4 MiB tmpfs and fills it: tickets fail
// with 503 and /healthz must say so (503, "no space left on device", onedoor_storage_ok 0) instead
// of "ok"; with the space freed the next ticket is stored and /healthz is 200 again. It mounts a
// tmpfs, which needs root (CAP_SYS_ADMIN): elsewhere it is skipped, saying so, and
// hallserver/bolt TestStorageReportsAFailedCommit covers the same path with an injected failure.
func TestHealthzReportsAFullDisk(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a 4 MiB tmpfs for a real ENOSPC (%v): needs root; the injected-failure test in hallserver/bolt covers /healthz's commit state", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	p := startProc(t, filepath.Join(mnt, "onedoor.db"), "-min-free-mb", "0")
	issue := func() int {
		code, _, err := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "A"})
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		return code
	}
	if code := issue(); code != 201 {
		t.Fatalf("issue on the empty tmpfs: %d", code)
	}
	if code, h := p.health(t); code != 200 || !h.Storage.OK {
		t.Fatalf("/healthz before the disk is full: %d %+v", code, h.Storage)
	}

	// Fill the file system to the last byte.
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	f.Close()

	failedAt := -1
	for i := 0; i < 500 && failedAt < 0; i++ {
		switch code := issue(); code {
		case 201:
		case 503:
			failedAt = i
		default:
			t.Fatalf("issue on a full disk: %d", code)
		}
	}
	if failedAt < 0 {
		t.Fatal("500 tickets were stored on a full file system")
	}
	code, h := p.health(t)
	if code != 503 || h.Status != "unavailable" || h.Storage.OK || h.Storage.CommitError != "no space left on device" {
		t.Errorf("/healthz while writes fail with ENOSPC: %d %+v, want 503 naming no space left on device", code, h)
	}
	if line := p.metric(t, "onedoor_storage_ok"); line != "onedoor_storage_ok 0" {
		t.Errorf("metric while writes fail: %q", line)
	}
	t.Logf("the disk was full after %d more tickets; /healthz: %v", failedAt, h.Storage.Reasons)

	os.Remove(filler)
	if code := issue(); code != 201 {
		t.Fatalf("issue after freeing the space: %d", code)
	}
	if code, h := p.health(t); code != 200 || !h.Storage.OK {
		t.Errorf("/healthz after a good commit: %d %+v", code, h.Storage)
	}
	if line := p.metric(t, "onedoor_storage_ok"); line != "onedoor_storage_ok 1" {
		t.Errorf("metric after a good commit: %q", line)
	}
}

// TestHealthzReportsLowFreeSpace: a -min-free-mb above the real free space makes /healthz 503
// with the reason, and the metrics carry the free bytes.
func TestHealthzReportsLowFreeSpace(t *testing.T) {
	data := filepath.Join(t.TempDir(), "onedoor.db")
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(data), &st); err != nil {
		t.Fatal(err)
	}
	freeMB := int64(st.Bavail) * st.Bsize >> 20
	p := startAnswering(t, data, "-min-free-mb", fmt.Sprint(freeMB+1<<20)) // a TiB more than there is
	code, h := p.health(t)
	if code != 503 || h.Storage.OK || len(h.Storage.Reasons) != 1 || !strings.Contains(h.Storage.Reasons[0], "-min-free-mb") {
		t.Errorf("/healthz with less free space than -min-free-mb: %d %+v", code, h.Storage)
	}
	if line := p.metric(t, "onedoor_storage_ok"); line != "onedoor_storage_ok 0" {
		t.Errorf("metric: %q", line)
	}
	if line := p.metric(t, "onedoor_storage_free_bytes"); line == "onedoor_storage_free_bytes 0" || line == "onedoor_storage_free_bytes -1" {
		t.Errorf("metric: %q", line)
	}
	p.kill()
	// The default threshold (64 MiB) on this disk: ok.
	q := startProc(t, data)
	if code, h := q.health(t); code != 200 || !h.Storage.OK || h.Storage.FreeBytes <= 0 {
		t.Errorf("/healthz with the default -min-free-mb: %d %+v", code, h.Storage)
	}
}
