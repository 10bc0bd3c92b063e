package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../drivers/printersim/testdata/escpos/"

func TestRenderWritesPagesAndWarns(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"render", "-o", dir, "-width", "384",
		fixtures + "escpos-php-demo.bin", fixtures + "thermal-test_receipt_4.bin"}, &out, &errOut)
	if err != nil {
		t.Fatalf("render: %v\n%s", err, errOut.String())
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	// escpos-php-demo.bin cuts 13 times and has paper after the last cut: 14 pages.
	demo, _ := filepath.Glob(filepath.Join(dir, "escpos-php-demo-*.png"))
	if len(demo) != 14 || len(pngs) != 15 {
		t.Errorf("%d demo pages, %d in all; stdout:\n%s", len(demo), len(pngs), out.String())
	}
	if !strings.Contains(errOut.String(), "warning:") {
		t.Errorf("no warnings on stderr for receipt_4 (it has unsupported commands):\n%s", errOut.String())
	}
	for _, p := range pngs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG: %v", p, err)
		}
	}
}

func TestRenderUnreadableInputFails(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"render", "-o", dir, "/nonexistent.bin", fixtures + "thermal-test_receipt_3.bin"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent.bin") {
		t.Fatalf("err = %v, want one naming the unreadable file", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "thermal-test_receipt_3-001.png")); err != nil {
		t.Errorf("readable input not rendered: %v", err)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{}, {"print"}, {"render", "-width", "500", "x.bin"}, {"serve", "-o", t.TempDir()}, {"serve", "-pty", "-status", "jammed"}} {
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

// serve -tcp answers DLE EOT while the stream is open and writes a PNG per cut.
func TestServeTCP(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-tcp", "127.0.0.1:0", "-o", dir, "-status", "paper-near-end"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatal("no address printed")
	}
	addr := lines.Text()
	go func() { // keep draining stdout
		for lines.Scan() {
		}
	}()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("\x1b@hello\n\x10\x04\x04")); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 1)
	if _, err := io.ReadFull(conn, reply); err != nil || reply[0] != 0x1E {
		t.Fatalf("DLE EOT 4 reply % x, %v; want 1e (near end)", reply, err)
	}
	if _, err := conn.Write([]byte("\x1dV\x00")); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "page-0001.png")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(page); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no page written after the cut")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
