package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// mmapSize is the size hallserver/bolt maps a data file with at first (InitialMmapSize): when the
// data grows past it, bbolt remaps, and a remap waits for every open read transaction.
const mmapSize = 64 << 20

// prefill writes filler data into a new bbolt file until its data runs to just under mmapSize,
// then cuts the file to that length, so that the server maps it with mmapSize and the next few
// hundred commits must remap.
func prefill(t *testing.T, path string, upTo int64) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	size := func() (n int64) {
		db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
		return n
	}
	for i := 0; size() < upTo; i++ {
		chunk := 1 << 20
		if upTo-size() < 4<<20 {
			chunk = 16 << 10
		}
		err := db.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("test-filler"))
			if err != nil {
				return err
			}
			return b.Put([]byte(fmt.Sprintf("%08d", i)), make([]byte, chunk))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	n := size()
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

// TestStalledBackupDoesNotStopWrites downloads a backup with a real TCP client that reads the
// first bytes and then stops reading, while kiosks keep issuing tickets that make the data file
// grow past its memory map. Every ticket must still be acknowledged (before the fix the backup's
// read transaction lived as long as the download, and the remap waited for it: no ticket was
// acknowledged until the reader went away). A second backup meanwhile is refused with 409, and
// the temporary copy is gone once the download ends.
func TestStalledBackupDoesNotStopWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 64 MB data file")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "onedoor.db")
	prefill(t, data, mmapSize-128<<10)
	p := startProc(t, data)
	code, b, _ := p.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"})
	var sess struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(b, &sess); code != 200 || sess.Token == "" {
		t.Fatalf("login admin: %d %s", code, b)
	}

	// The stalled reader: a small receive buffer, the status line and a few bytes, then nothing.
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /api/v1/admin/backup HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", sess.Token)
	br := bufio.NewReaderSize(conn, 16)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("backup status line: %q %v", status, err)
	}

	// A second backup while the first is held: refused with a JSON error, not queued.
	req, _ := http.NewRequest("GET", "http://"+p.addr+"/api/v1/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	second := &http.Client{Timeout: 30 * time.Second}
	if resp, err := second.Do(req); err != nil {
		t.Errorf("second backup: %v", err)
	} else {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || e.Error.Code != "conflict" {
			t.Errorf("second backup during the first: %d %q, want 409 conflict", resp.StatusCode, e.Error.Code)
		}
	}

	// Kiosks issue while the reader stalls. A kiosk gives up on a ticket after 10 s (a kiosk
	// screen would long have shown an error) and then stops.
	const kiosks, each = 4, 200
	kiosk := &http.Client{Timeout: 10 * time.Second}
	var (
		mu     sync.Mutex
		acked  int
		failed []string
		wg     sync.WaitGroup
	)
	for k := 0; k < kiosks; k++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				req, _ := http.NewRequest("POST", "http://"+p.addr+"/api/v1/halls/students/tickets", strings.NewReader(`{"service":"B"}`))
				req.Header.Set("Authorization", "Bearer demo-kiosk-students")
				req.Header.Set("Content-Type", "application/json")
				resp, err := kiosk.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 201 {
						mu.Lock()
						acked++
						mu.Unlock()
						continue
					}
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
				mu.Lock()
				failed = append(failed, err.Error())
				mu.Unlock()
				return
			}
		})
	}
	wg.Wait()
	if acked != kiosks*each {
		t.Errorf("while a backup download stalled, %d of %d tickets were acknowledged; failures: %q", acked, kiosks*each, failed)
	}
	conn.Close()

	// The temporary copy next to the data file goes away with the download.
	deadline := time.Now().Add(20 * time.Second)
	var left []string
	for {
		left, _ = filepath.Glob(filepath.Join(dir, ".onedoor.db.backup-*"))
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("temporary backup files left after the download ended: %v", left)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	// The test did what it says: the data outgrew the first memory map.
	if hw := highWater(t, data); hw <= mmapSize {
		t.Errorf("the data file's data ends at %d bytes, not past the %d-byte map: the test did not force a remap", hw, mmapSize)
	} else {
		t.Logf("data grew to %d bytes (map %d) with %d tickets during the stalled download", hw, mmapSize, acked)
	}
}
