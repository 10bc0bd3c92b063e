package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// haCaseDo is haDo with an Idempotency-Key.
func haCaseDo(p *proc, method, path, token, key string, body any) (int, []byte, string, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+p.addr+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("X-OneDoor-Forwarded-To"), err
}

// openedCase is what a client was told of a case it opened.
type openedCase struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Token  string `json:"token"`
}

// caseBook is what the clients were told: every acknowledged case, reply and rating.
type caseBook struct {
	mu      sync.Mutex
	byKey   map[string]openedCase // idempotency key → the case
	dups    []string
	replied map[string]bool // case ID
	rated   map[string]bool // case ID
}

func newCaseBook() *caseBook {
	return &caseBook{byKey: map[string]openedCase{}, replied: map[string]bool{}, rated: map[string]bool{}}
}

// open opens a case with the key through p; false when it was not acknowledged.
func (b *caseBook) open(p *proc, key string) bool {
	code, body, _, err := haCaseDo(p, "POST", "/api/v1/cases", "demo-kiosk-students", key,
		map[string]any{"kind": "complaint", "category": "library-seats", "text": "图书馆占座 " + key})
	if err != nil || code != 201 {
		return false
	}
	var c openedCase
	if json.Unmarshal(body, &c) != nil || c.Number == "" || c.Token == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, ok := b.byKey[key]; ok && prev.Number != c.Number {
		b.dups = append(b.dups, fmt.Sprintf("key %s answered %s then %s", key, prev.Number, c.Number))
	}
	for k, o := range b.byKey {
		if k != key && o.Number == c.Number {
			b.dups = append(b.dups, fmt.Sprintf("number %s for keys %s and %s", c.Number, k, key))
		}
	}
	b.byKey[key] = c
	return true
}

func (b *caseBook) counts() (opened, replied, rated int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byKey), len(b.replied), len(b.rated)
}

// todo returns acknowledged cases not replied (toReply) and replied ones not rated (toRate).
func (b *caseBook) todo() (toReply, toRate []openedCase) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.byKey {
		if !b.replied[c.ID] {
			toReply = append(toReply, c)
		} else if !b.rated[c.ID] {
			toRate = append(toRate, c)
		}
	}
	return toReply, toRate
}

// caseLogGapFree checks that the case event log on etcd holds seqs 1…n, each once, and returns n.
func caseLogGapFree(t *testing.T, cli *clientv3.Client) uint64 {
	t.Helper()
	r, err := cli.Get(context.Background(), etcdPrefix+"c/ev/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	for i, kv := range r.Kvs {
		if want := fmt.Sprintf("%s%020d", etcdPrefix+"c/ev/", i+1); string(kv.Key) != want {
			t.Fatalf("case event key %d is %s, want %s: the log has a gap", i, kv.Key, want)
		}
	}
	return uint64(len(r.Kvs))
}

// TestHACasesKill9OwnerFailsOver (issue 17 test 4, with test 1): three etcd members, two hall
// servers with -webhook; kiosks open cases through both (each retried with its Idempotency-Key,
// on the other server when one fails), a library handler signs and replies through the second,
// requesters rate the replies; the owner is killed with SIGKILL. The second takes over: every
// acknowledged case, reply and rating is there, no case number twice (a key retried across the
// failover answers its first case), the case event log on etcd is gap-free, and the webhook
// received every event of it (at least once, none skipped) from the deliverer of one owner and
// then the other.
func TestHACasesKill9OwnerFailsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an etcd cluster and two hall servers")
	}
	h := &hook{}
	ts := httptest.NewServer(h)
	defer ts.Close()
	endpoints, cli := haCluster(t)
	args := []string{"-etcd", endpoints, "-webhook", ts.URL + "/onedoor", "-webhook-secret", "hook-secret"}
	p1 := startProc(t, filepath.Join(t.TempDir(), "a.db"), args...)
	waitOwner(t, cli, p1)
	p2 := startProc(t, filepath.Join(t.TempDir(), "b.db"), args...)

	book := newCaseBook()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for k := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("kiosk%d-%d", k, i)
				// Retried with the same key until acknowledged, alternating servers.
				for try := 0; ctx.Err() == nil && !book.open([]*proc{p1, p2}[(k+try)%2], key); try++ {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	// The library signs and replies through the second server (a 401 would make it sign in
	// again).
	wg.Go(func() {
		token := ""
		for ctx.Err() == nil {
			if token == "" {
				if token = haSignInRetry(ctx, p2, "h-library"); token == "" {
					continue
				}
			}
			toReply, _ := book.todo()
			if len(toReply) == 0 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			c := toReply[0]
			code, _, _, _ := haDo(p2, "POST", "/api/v1/cases/"+c.ID+"/sign", token, nil)
			if code == 401 {
				token = ""
				continue
			}
			code, _, _, _ = haDo(p2, "POST", "/api/v1/cases/"+c.ID+"/reply", token, map[string]string{"text": "已增派巡查，占座物品统一清理"})
			if code == 401 {
				token = ""
				continue
			}
			if code == 200 {
				book.mu.Lock()
				book.replied[c.ID] = true
				book.mu.Unlock()
			}
		}
	})
	// Requesters rate the replies, through either server.
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			_, toRate := book.todo()
			if len(toRate) == 0 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			c := toRate[0]
			code, _, _, _ := haDo([]*proc{p1, p2}[i%2], "POST", "/api/v1/case-follow/"+c.Token+"/rate", "", map[string]any{"stars": 5, "comment": "很快"})
			if code == 200 {
				book.mu.Lock()
				book.rated[c.ID] = true
				book.mu.Unlock()
			} else {
				time.Sleep(50 * time.Millisecond)
			}
		}
	})
	waitFor(t, func() bool { o, r, a := book.counts(); return o >= 30 && r >= 4 && a >= 2 })
	p1.kill()
	killed := time.Now()
	o0, r0, a0 := book.counts()
	waitFor(t, func() bool { o, _, _ := book.counts(); return o > o0 })
	t.Logf("failover: first case acknowledged by the new owner %v after the kill", time.Since(killed).Round(10*time.Millisecond))
	waitOwner(t, cli, p2)
	waitFor(t, func() bool { o, r, a := book.counts(); return o >= o0+30 && r >= r0+4 && a >= a0+2 })
	cancel()
	wg.Wait()
	if len(book.dups) > 0 {
		t.Errorf("cases twice across the failover: %v", book.dups)
	}
	o, r, a := book.counts()
	t.Logf("%d cases acknowledged (%d before the kill), %d replied (%d), %d rated (%d)", o, o0, r, r0, a, a0)
	for key, c := range book.byKey {
		code, b, err := p2.do("GET", "/api/v1/case-follow/"+c.Token, "", nil)
		var got struct {
			Number  string            `json:"number"`
			Replies []json.RawMessage `json:"replies"`
			Ratings []json.RawMessage `json:"ratings"`
		}
		if err != nil || code != 200 || json.Unmarshal(b, &got) != nil || got.Number != c.Number {
			t.Fatalf("acknowledged case %s (key %s) lost in the failover: %d %v %.200s", c.Number, key, code, err, b)
		}
		if book.replied[c.ID] && len(got.Replies) == 0 {
			t.Errorf("acknowledged reply to %s lost: %.300s", c.Number, b)
		}
		if book.rated[c.ID] && len(got.Ratings) == 0 {
			t.Errorf("acknowledged rating of %s lost: %.300s", c.Number, b)
		}
	}
	n := caseLogGapFree(t, cli)
	// The case stream replays from seq 1 on the new owner, every seq once and in order, across
	// the events of both owners.
	code, b, _, err := haDo(p2, "POST", "/api/v1/session", "", map[string]string{"username": "supervisor", "password": "demo"})
	var sess struct {
		Token string `json:"token"`
	}
	if err != nil || code != 200 || json.Unmarshal(b, &sess) != nil {
		t.Fatalf("supervisor sign-in: %d %v %s", code, err, b)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+p2.addr+"/api/v1/cases/stream?since=1", http.Header{"Authorization": {"Bearer " + sess.Token}})
	if err != nil {
		t.Fatalf("case stream: %v", err)
	}
	defer ws.Close()
	for last := uint64(1); last < n; {
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, m, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("case stream read after seq %d of %d: %v", last, n, err)
		}
		var ev struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
			Case *struct {
				Number string `json:"number"`
			} `json:"case"`
		}
		json.Unmarshal(m, &ev)
		if ev.Type == "snapshot" {
			t.Fatalf("the case stream sent a snapshot instead of replaying from seq 1")
		}
		if ev.Seq == 0 {
			continue
		}
		if ev.Seq != last+1 || ev.Case == nil || ev.Case.Number == "" {
			t.Fatalf("case stream after seq %d sent %.200s: not gap-free", last, m)
		}
		last = ev.Seq
	}
	// Every event reaches the webhook (the new owner's deliverer resumes from the cursor on
	// etcd): n distinct seqs, 1…n.
	waitFor(t, func() bool { d, top := h.distinct(); return uint64(d) == n && top == n })
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bad > 0 {
		t.Errorf("%d webhook requests with bad signatures", h.bad)
	}
	t.Logf("%d case events, %d webhook deliveries (%d again after the failover)", n, len(h.seqs), uint64(len(h.seqs))-n)
}

// TestHACasesPausedOwnerCommitsNothing (issue 17 test 4, with test 3): the owner is paused
// (SIGSTOP) past its lease, the other takes over, cases opened meanwhile are on the new owner;
// case requests sent to the paused one wait in its socket; on SIGCONT it commits none of them
// itself (each answered case was forwarded to the new owner), and it rejoins as a follower. The
// case log on etcd stays gap-free, no number twice.
func TestHACasesPausedOwnerCommitsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an etcd cluster and two hall servers")
	}
	endpoints, cli := haCluster(t)
	p1 := startProc(t, filepath.Join(t.TempDir(), "a.db"), "-etcd", endpoints)
	waitOwner(t, cli, p1)
	p2 := startProc(t, filepath.Join(t.TempDir(), "b.db"), "-etcd", endpoints)
	book := newCaseBook()
	for i := range 5 {
		if !book.open(p2, fmt.Sprintf("before-%d", i)) {
			t.Fatal("open through the follower failed")
		}
	}
	if err := p1.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitOwner(t, cli, p2)
	for i := range 5 {
		if !book.open(p2, fmt.Sprintf("after-%d", i)) {
			t.Fatal("open on the new owner failed")
		}
	}
	type answer struct {
		key  string
		code int
		body []byte
		fwd  string
	}
	answers := make(chan answer, 8)
	for i := range 8 {
		go func() {
			key := fmt.Sprintf("paused-%d", i)
			code, b, fwd, _ := haCaseDo(p1, "POST", "/api/v1/cases", "demo-kiosk-students", key,
				map[string]any{"kind": "complaint", "category": "library-seats", "text": "图书馆占座"})
			answers <- answer{key, code, b, fwd}
		}()
	}
	time.Sleep(300 * time.Millisecond) // let them connect: the kernel queues them
	if err := p1.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		a := <-answers
		if a.code != 201 {
			continue
		}
		if a.fwd == "" {
			t.Errorf("the resumed server committed a case itself after losing its lease: %.120s", a.body)
		}
		var c openedCase
		json.Unmarshal(a.body, &c)
		book.mu.Lock()
		for k, o := range book.byKey {
			if o.Number == c.Number {
				book.dups = append(book.dups, fmt.Sprintf("number %s for keys %s and %s", c.Number, k, a.key))
			}
		}
		book.byKey[a.key] = c
		book.mu.Unlock()
	}
	if len(book.dups) > 0 {
		t.Errorf("cases twice: %v", book.dups)
	}
	waitFor(t, func() bool {
		code, _, fwd, err := haDo(p1, "GET", "/api/v1/catalogue", "", nil)
		return err == nil && code == 200 && fwd == "http://"+p2.addr
	})
	n := caseLogGapFree(t, cli)
	for key, c := range book.byKey {
		if code, b, err := p2.do("GET", "/api/v1/case-follow/"+c.Token, "", nil); err != nil || code != 200 || !bytes.Contains(b, []byte(c.Number)) {
			t.Fatalf("acknowledged case %s (key %s) lost: %d %v", c.Number, key, code, err)
		}
	}
	if !strings.Contains(p1.logs(), "lost the ownership") {
		t.Errorf("the resumed server did not notice it lost the halls; log:\n%s", p1.logs())
	}
	t.Logf("%d cases acknowledged, %d case events", len(book.byKey), n)
}
