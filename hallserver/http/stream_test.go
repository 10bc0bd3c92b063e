package http

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

func TestStreamSnapshotThenEvents(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	e.issue("A")
	c := e.dial("students", 0)
	m := read(t, c, 2*time.Second)
	if m.Type != "snapshot" || m.Snapshot == nil || m.Seq != m.Snapshot.Seq || m.Snapshot.Services[0].Waiting != 1 {
		t.Fatalf("first message: %s", m.raw)
	}
	seq := m.Seq
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "personId": "2023123456"})
	var iss ticketJSON
	r.decode(t, &iss)
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 1, "call-next", nil, 200)
	var types []string
	for len(types) < 3 {
		m = read(t, c, 2*time.Second)
		if m.Seq != seq+1 {
			t.Fatalf("seq %d after %d: %s", m.Seq, seq, m.raw)
		}
		seq = m.Seq
		types = append(types, m.Type)
		raw := string(m.raw)
		if strings.Contains(raw, iss.Token) || strings.Contains(raw, "2023123456") || strings.Contains(raw, "personId") ||
			strings.Contains(raw, `"token":"`+iss.Token[:4]) || strings.Contains(raw, "counter1") {
			t.Fatalf("public event leaks: %s", raw)
		}
		var ev map[string]json.RawMessage
		json.Unmarshal(m.raw, &ev)
		for _, k := range []string{"seq", "type", "at"} {
			if ev[k] == nil {
				t.Fatalf("event lacks %q: %s", k, raw)
			}
		}
	}
	if types[0] != string(hall.EventIssued) || types[1] != string(hall.EventCounter) || types[2] != string(hall.EventCalled) {
		t.Fatalf("event types %v", types)
	}
	if m.Ticket == nil || m.Ticket.Number != "A001" || m.Ticket.Counter != 1 {
		t.Fatalf("call event: %s", m.raw)
	}
}

// TestStreamSinceReplays drops a connection, makes three calls, and reconnects with since: the
// three calls arrive in order, once, and the stream then goes on live.
func TestStreamSinceReplays(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	for i := 0; i < 4; i++ {
		e.issue("A")
	}
	for n := 1; n <= 2; n++ {
		e.act(staff, n, "open", nil, 200)
	}
	c := e.dial("students", 0)
	last := read(t, c, 2*time.Second).Seq
	c.Close()

	e.act(staff, 1, "call-next", nil, 200)
	e.act(staff, 2, "call-next", nil, 200)
	e.act(staff, 1, "finish", nil, 200)
	e.act(staff, 1, "call-next", nil, 200)

	c = e.dial("students", last)
	var called []string
	seq := last
	for i := 0; i < 4; i++ {
		m := read(t, c, 2*time.Second)
		if m.Type == "snapshot" || m.Seq != seq+1 {
			t.Fatalf("replay message %d: %s (after seq %d)", i, m.raw, seq)
		}
		seq = m.Seq
		if m.Type == string(hall.EventCalled) {
			called = append(called, m.Ticket.Number)
		}
	}
	if strings.Join(called, ",") != "A001,A002,A003" {
		t.Fatalf("replayed calls %v", called)
	}
	// Nothing more is replayed; the next live event follows without a gap or a duplicate.
	e.act(staff, 2, "recall", nil, 200)
	m := read(t, c, 2*time.Second)
	if m.Seq != seq+1 || m.Type != string(hall.EventRecalled) {
		t.Fatalf("live event after replay: %s (after %d)", m.raw, seq)
	}

	// A since ahead of the log (or too old) gets a fresh snapshot.
	c2 := e.dial("students", seq+1000)
	if m := read(t, c2, 2*time.Second); m.Type != "snapshot" || m.Seq != seq+1 {
		t.Fatalf("since ahead of the log: %s", m.raw)
	}
	// since=current seq: nothing to replay, then live.
	c3 := e.dial("students", seq+1)
	e.issue("B")
	if m := read(t, c3, 2*time.Second); m.Type != string(hall.EventIssued) || m.Seq != seq+2 {
		t.Fatalf("since=now then live: %s", m.raw)
	}
}

// TestStreamNoGapsUnderLoad connects clients while tickets are being issued: each sees a snapshot
// and then every later event exactly once, in order.
func TestStreamNoGapsUnderLoad(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "t"}); err != nil {
				return
			}
		}
	}()
	var conns []*websocket.Conn
	for i := 0; i < 20; i++ {
		conns = append(conns, e.dial("students", 0))
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	final, _ := e.q.LastSeq("students")
	for i, c := range conns {
		m := read(t, c, 2*time.Second)
		if m.Type != "snapshot" {
			t.Fatalf("client %d: first %s", i, m.raw)
		}
		for seq := m.Seq; seq < final; {
			m = read(t, c, 2*time.Second)
			if m.Seq != seq+1 {
				t.Fatalf("client %d: seq %d after %d", i, m.Seq, seq)
			}
			seq = m.Seq
		}
	}
}

// TestSlowClientDropped: a client that never reads is dropped with a close reason, while a normal
// client receives every event.
func TestSlowClientDropped(t *testing.T) {
	log := newFakeLog()
	e := newEnv(t, withEvents(log))
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/halls/students/stream"
	slow, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := e.dial("students", 0)
	if m := read(t, fast, 2*time.Second); m.Type != "snapshot" {
		t.Fatalf("first: %s", m.raw)
	}
	got := make(chan uint64, 1<<16)
	go func() {
		defer close(got)
		for {
			fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, b, err := fast.ReadMessage()
			if err != nil {
				return
			}
			var m message
			json.Unmarshal(b, &m)
			got <- m.Seq
		}
	}()
	// Big events fill the slow client's socket buffers and then its queue. The fast client takes
	// each event before the next is published, so only the slow one can fall behind (a reader that
	// lags on a loaded machine would otherwise be dropped too).
	note := strings.Repeat("x", 2000)
	const n = 5000
	for i := 1; i <= n; i++ {
		log.Publish(hall.Event{Hall: "students", Type: hall.EventNotice, At: time.Now(), Notice: &hall.Notice{ID: "n", Text: hall.Text{Zh: note, En: note}}})
		select {
		case s, ok := <-got:
			if !ok || s != uint64(i) {
				t.Fatalf("fast client got seq %d (ok %v), want %d", s, ok, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fast client stuck before seq %d", i)
		}
	}
	// The slow client, reading now, finds the close frame after what was buffered.
	slow.SetReadDeadline(time.Now().Add(15 * time.Second))
	var ce *websocket.CloseError
	nslow := 0
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			nslow++
			continue
		}
		t.Logf("slow client read %d messages; metrics:\n%s", nslow, grep(string(e.do("GET", "/metrics", metricsToken, nil).body), "onedoor_stream"))
		if !errors.As(err, &ce) {
			t.Fatalf("slow client: %v, want a close frame", err)
		}
		break
	}
	if ce.Code != websocket.CloseTryAgainLater || ce.Text != reasonSlow {
		t.Fatalf("slow client closed with %d %q", ce.Code, ce.Text)
	}
	r := e.do("GET", "/metrics", metricsToken, nil)
	if !strings.Contains(string(r.body), `onedoor_stream_dropped_total{hall="students",reason="slow"} 1`) ||
		!strings.Contains(string(r.body), `onedoor_stream_subscribers{hall="students"} 1`) {
		t.Fatalf("metrics after drop:\n%s", grep(string(r.body), "onedoor_stream"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestHubResubscribes: when the log drops the hub's subscription, clients are closed with a
// resync reason, and new clients are served by a new subscription.
func TestHubResubscribes(t *testing.T) {
	log := newFakeLog()
	e := newEnv(t, withEvents(log))
	c := e.dial("students", 0)
	read(t, c, 2*time.Second)
	log.Publish(hall.Event{Hall: "students", Type: hall.EventIssued})
	if m := read(t, c, 2*time.Second); m.Seq != 1 {
		t.Fatalf("event: %s", m.raw)
	}
	log.DropSubscribers("students")
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater || ce.Text != reasonBehind {
		t.Fatalf("after the hub fell behind: %v", err)
	}
	log.Publish(hall.Event{Hall: "students", Type: hall.EventIssued}) // seq 2, while nobody listens
	c = e.dial("students", 1)
	if m := read(t, c, 2*time.Second); m.Seq != 2 {
		t.Fatalf("replay after resync: %s", m.raw)
	}
	log.Publish(hall.Event{Hall: "students", Type: hall.EventCalled})
	if m := read(t, c, 2*time.Second); m.Seq != 3 {
		t.Fatalf("live after resubscribe: %s", m.raw)
	}
}

func TestServerCloseClosesStreams(t *testing.T) {
	e := newEnv(t)
	c := e.dial("students", 0)
	read(t, c, 2*time.Second)
	e.srv.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("after Close: %v", err)
	}
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/halls/students/stream"
	_, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("dial after Close: %v %v", err, resp)
	}
}
