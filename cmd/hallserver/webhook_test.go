package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/webhook"
)

// hook is a webhook receiver recording what it accepted.
type hook struct {
	mu   sync.Mutex
	seqs []uint64
	keys map[uint64]string
	bad  int // requests with a bad signature
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !webhook.Verify([]byte("hook-secret"), r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.SignatureHeader), body) {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &ev) != nil || strconv.FormatUint(ev.Seq, 10) != r.Header.Get(webhook.IdempotencyHeader) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if h.keys == nil {
		h.keys = map[uint64]string{}
	}
	h.seqs = append(h.seqs, ev.Seq)
	h.keys[ev.Seq] = r.Header.Get(webhook.IdempotencyHeader)
	w.WriteHeader(http.StatusOK)
}

// distinct returns how many different seqs arrived and the highest.
func (h *hook) distinct() (n int, top uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.keys), func() uint64 {
		for _, s := range h.seqs {
			top = max(top, s)
		}
		return top
	}()
}

// TestWebhookAcrossKill9 runs the real server with -webhook: case events arrive signed, and after
// kill -9 and a restart the deliverer goes on from its stored cursor (re-delivering at most what
// was not yet saved, with the same idempotency keys), missing nothing.
func TestWebhookAcrossKill9(t *testing.T) {
	h := &hook{}
	ts := httptest.NewServer(h)
	defer ts.Close()
	data := filepath.Join(t.TempDir(), "onedoor.db")
	p := startProc(t, data, "-webhook", ts.URL+"/onedoor", "-webhook-secret", "hook-secret")
	open := func() {
		t.Helper()
		code, b, err := p.do("POST", "/api/v1/cases", "demo-kiosk-students", map[string]any{"kind": "complaint", "category": "library-seats", "text": "图书馆占座"})
		if err != nil || code != 201 {
			t.Fatalf("open case: %d %v %s", code, err, b)
		}
	}
	for i := 0; i < 3; i++ {
		open()
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; log:\n%s", what, p.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitUntil("first events", func() bool { n, _ := h.distinct(); return n >= 3 })
	_, before := h.distinct()
	p.kill()
	p.start("-webhook", ts.URL+"/onedoor", "-webhook-secret", "hook-secret")
	open()
	waitUntil("events after restart", func() bool { _, top := h.distinct(); return top > before })
	time.Sleep(200 * time.Millisecond) // let the last events of the case arrive
	n, top := h.distinct()
	if uint64(n) != top {
		t.Fatalf("%d distinct events up to seq %d: some were skipped", n, top)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bad > 0 {
		t.Fatalf("%d requests with bad signatures", h.bad)
	}
	// In order: the first arrival of each seq comes after all lower ones.
	var next uint64 = 1
	for _, s := range h.seqs {
		if s > next {
			t.Fatalf("seq %d before %d: %v", s, next, h.seqs)
		}
		if s == next {
			next++
		}
	}
}
