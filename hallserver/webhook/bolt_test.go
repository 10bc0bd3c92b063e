package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// store is the real thing: a case store and the deliverer cursor on one bbolt file.
type store struct {
	t    *testing.T
	path string
	db   *bolt.DB
	cs   *bolt.Cases
	ob   *bolt.DeliveryStore
}

func openStore(t *testing.T, path string) *store {
	t.Helper()
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	campus := hall.Campus{Name: hall.Text{Zh: "测试", En: "Test"}, TimeZone: hall.DefaultTimeZone,
		Halls: []hall.Hall{{Code: "h1", Name: hall.Text{Zh: "大厅", En: "Hall"}}}}
	cs, err := bolt.NewCases(context.Background(), db, campus, cases.Config{}, nil)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	ob, err := bolt.NewDeliveryStore(db)
	if err != nil {
		t.Fatal(err)
	}
	s := &store{t: t, path: path, db: db, cs: cs, ob: ob}
	t.Cleanup(s.close)
	return s
}

func (s *store) close() {
	if s.cs != nil {
		s.cs.Close()
		s.db.Close()
		s.cs = nil
	}
}

func (s *store) open(n int) {
	s.t.Helper()
	for i := 0; i < n; i++ {
		_, err := s.cs.Open(context.Background(), hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelAPI,
			Category: "library-seats", Text: "图书馆有人占座", Requester: hall.Requester{Phone: "13812345678"}})
		if err != nil {
			s.t.Fatal(err)
		}
	}
}

// TestBoltRestartResumes: cases are opened, the deliverer delivers part of the log and the server
// stops (file closed); after reopening, the new deliverer continues from the stored cursor and
// every event arrives, in order.
func TestBoltRestartResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onedoor.db")
	var mu sync.Mutex
	budget := 7
	rc := &receiver{t: t, secret: []byte("s3cret"), answer: func(n int, d delivery) int {
		mu.Lock()
		defer mu.Unlock()
		if budget > 0 {
			budget--
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	}}
	ts := httptest.NewServer(rc)
	defer ts.Close()

	s := openStore(t, path)
	s.open(6) // several events per case
	total := s.cs.LastSeq()
	o := newTestDeliverer(t, ts.URL, s.cs, s.ob, &fastClock{})
	stop := start(t, o)
	waitFor(t, "7 delivered", 5*time.Second, func() bool { return o.Status().Cursor == 7 })
	stop()
	s.close()

	s = openStore(t, path)
	if c, ok, err := s.ob.Cursor(context.Background(), "webhook"); err != nil || !ok || c != 7 {
		t.Fatalf("cursor after restart: %d %v %v", c, ok, err)
	}
	mu.Lock()
	budget = 1 << 30
	mu.Unlock()
	s.open(2)
	total = s.cs.LastSeq()
	o = newTestDeliverer(t, ts.URL, s.cs, s.ob, &fastClock{})
	start(t, o)
	waitFor(t, "all delivered", 5*time.Second, func() bool { return o.Status().Cursor == total })
	acc := rc.accepted()
	checkInOrder(t, acc, total)
	if acc[7] != 8 {
		t.Fatalf("resumed at %d, want 8: %v", acc[7], acc)
	}
	// Per case, events came in the order of the case's own timeline, signed, requester masked.
	seen := map[string]int{}
	for _, d := range rc.deliveries() {
		if !d.accepted {
			continue
		}
		var ev hall.CaseEvent
		if err := json.Unmarshal([]byte(d.body), &ev); err != nil || ev.Case == nil {
			t.Fatalf("body %s: %v", d.body, err)
		}
		if !d.signed || strings.Contains(d.body, "13812345678") {
			t.Fatalf("delivery %d: signed %v, body %s", d.seq, d.signed, d.body)
		}
		n := len(ev.Case.Timeline)
		if n < seen[ev.Case.ID] {
			t.Fatalf("case %s: event %d with %d timeline entries after one with %d", ev.Case.ID, d.seq, n, seen[ev.Case.ID])
		}
		seen[ev.Case.ID] = n
	}
	if len(seen) != 8 {
		t.Fatalf("%d cases delivered, want 8", len(seen))
	}
}

// TestCaseHandlingNeverWaits: with the webhook hanging, opening cases is as quick as ever.
func TestCaseHandlingNeverWaits(t *testing.T) {
	rc := &receiver{t: t, secret: []byte("s3cret"), hang: make(chan struct{})}
	ts := httptest.NewServer(rc)
	defer ts.Close()
	defer close(rc.hang)
	s := openStore(t, filepath.Join(t.TempDir(), "onedoor.db"))
	o := newTestDeliverer(t, ts.URL, s.cs, s.ob, &fastClock{}, func(c *Config) { c.Timeout = time.Hour })
	start(t, o)
	s.open(1)
	waitFor(t, "the deliverer to be stuck on the first event", 5*time.Second, func() bool {
		return o.Status().Lag > 0
	})
	begin := time.Now()
	s.open(200)
	if d := time.Since(begin); d > 5*time.Second {
		t.Fatalf("200 opens took %v with the webhook hanging", d)
	}
	if st := o.Status(); st.Cursor != 0 || st.Lag < 200 {
		t.Fatalf("status %+v", st)
	}
}
