package http

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
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
	var iss wire.Ticket
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

// streamAtSeq1 serves a hall stream from a fake log and returns a client that got the snapshot
// and the log's first event.
func streamAtSeq1(t *testing.T) (*fakeLog, *env, *websocket.Conn) {
	t.Helper()
	log := newFakeLog()
	e := newEnv(t, withEvents(log))
	c := e.dial("students", 0)
	read(t, c, 2*time.Second)
	log.Publish(hall.Event{Hall: "students", Type: hall.EventIssued})
	if m := read(t, c, 2*time.Second); m.Seq != 1 {
		t.Fatalf("event: %s", m.raw)
	}
	return log, e, c
}

// TestHubResubscribes: when the log drops the hub's subscription, clients are closed with a
// resync reason, and new clients are served by a new subscription.
func TestHubResubscribes(t *testing.T) {
	log, e, c := streamAtSeq1(t)
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

// lose commits an event to the fake log without delivering it to the subscriptions, as a log
// that breaks its contract would.
func (l *fakeLog) lose(ev hall.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev.Seq = uint64(len(l.events[ev.Hall])) + 1
	l.events[ev.Hall] = append(l.events[ev.Hall], ev)
}

// TestHallStreamGapInSubscription: when the hub's subscription skips an event, the hall's
// clients are closed with the resync reason, the drop is counted as a gap (as the case stream
// always did), and a client reconnecting with since gets the missed event.
func TestHallStreamGapInSubscription(t *testing.T) {
	log, e, c := streamAtSeq1(t)
	log.lose(hall.Event{Hall: "students", Type: hall.EventIssued})    // seq 2, never delivered
	log.Publish(hall.Event{Hall: "students", Type: hall.EventCalled}) // seq 3
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, b, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater || ce.Text != reasonGap {
		t.Fatalf("after a gap in the subscription: %v %s; want close 1013 %q", err, b, reasonGap)
	}
	if got := counterValue(t, e.srv, "onedoor_stream_dropped_total", "gap"); got != 1 {
		t.Fatalf("onedoor_stream_dropped_total{hall=students,reason=gap} = %v, want 1", got)
	}
	c = e.dial("students", 1)
	for _, want := range []uint64{2, 3} {
		if m := read(t, c, 2*time.Second); m.Seq != want {
			t.Fatalf("replay after the gap: %s, want seq %d", m.raw, want)
		}
	}
}

// TestStreamsRefuseOtherOrigins: a page of another site may open no stream (the hall stream,
// a case's follow stream, the staff case stream): 403 with a JSON error naming Origin before the
// upgrade. The server's own pages and programs (no Origin) may.
func TestStreamsRefuseOtherOrigins(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	sup := e.login("supervisor")
	for _, path := range []string{"/api/v1/halls/students/stream", "/api/v1/case-follow/" + oc.Token + "/stream", "/api/v1/cases/stream"} {
		c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.1", "Origin", "http://evil.example", "Authorization", "Bearer "+sup)
		if c != nil {
			t.Fatalf("%s: upgraded for a page of http://evil.example", path)
		}
		var eb wire.ErrorBody
		if status != 403 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != hall.EFORBIDDEN || eb.Error.Field != "Origin" {
			t.Fatalf("%s from another origin: %d %s; want 403 forbidden naming Origin", path, status, body)
		}
		if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.1", "Origin", e.ts.URL, "Authorization", "Bearer "+sup); c == nil {
			t.Fatalf("%s from the server's own page: %d %s", path, status, body)
		}
		if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.1", "Authorization", "Bearer "+sup); c == nil {
			t.Fatalf("%s without Origin: %d %s", path, status, body)
		}
	}
}

// TestStreamBadSince: a since that is no sequence number is 400 with a JSON error naming since,
// on every stream, before the upgrade.
func TestStreamBadSince(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	sup := e.login("supervisor")
	for _, path := range []string{"/api/v1/halls/students/stream", "/api/v1/case-follow/" + oc.Token + "/stream", "/api/v1/cases/stream"} {
		for _, bad := range []string{"x", "-1", "1.5", "18446744073709551616"} {
			c, status, body := dialFrom(t, e.ts.URL, path+"?since="+bad, "127.0.0.1", "Authorization", "Bearer "+sup)
			var eb wire.ErrorBody
			if c != nil || status != 400 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != hall.EINVALID || eb.Error.Field != "since" {
				t.Fatalf("%s?since=%s: %d %s; want 400 invalid naming since", path, bad, status, body)
			}
		}
	}
}

// TestQuietStreamsHoldOneGoroutineEach: once its stream has started, a quiet client costs the
// server one goroutine (its reader) and nothing of its HTTP request; every client still gets
// the next event. (Issue 19: 10,000 follow pages on one server.)
func TestQuietStreamsHoldOneGoroutineEach(t *testing.T) {
	e := newEnv(t)
	warm := e.dial("students", 0) // starts the hall's hub
	read(t, warm, 2*time.Second)
	settle := func(limit int) int { // the goroutine count once it is at most limit or steady
		deadline := time.Now().Add(5 * time.Second)
		last := -1
		for {
			n := runtime.NumGoroutine()
			if n <= limit || n == last || time.Now().After(deadline) {
				return n
			}
			last = n
			time.Sleep(50 * time.Millisecond)
		}
	}
	before := settle(0)
	const n = 40
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = e.dial("students", 0)
		if m := read(t, conns[i], 2*time.Second); m.Type != "snapshot" {
			t.Fatalf("first message: %s", m.raw)
		}
	}
	const slack = 5 // timers, keep-alive connections of the test's own HTTP client
	if got := settle(before+n+slack) - before; got > n+slack {
		t.Fatalf("%d quiet streams hold %d more goroutines; want at most one each", n, got)
	}
	e.issue("A")
	for i, c := range conns {
		if m := read(t, c, 5*time.Second); m.Type != string(hall.EventIssued) {
			t.Fatalf("client %d got %s, want the issue", i, m.raw)
		}
	}
}

// TestStreamPingPongClose: the server pings a quiet client, answers its ping with the same
// payload and its close with the same code, and then forgets it (the subscriber gauge).
func TestStreamPingPongClose(t *testing.T) {
	e := newEnv(t, func(e *env) { e.config = func(c *Config) { c.streamPing = 20 * time.Millisecond } })
	c := e.dial("students", 0)
	read(t, c, 2*time.Second)
	pings := make(chan struct{}, 100)
	c.SetPingHandler(func(string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return nil
	})
	pongs := make(chan string, 1)
	c.SetPongHandler(func(data string) error {
		pongs <- data
		return nil
	})
	closed := make(chan error, 1)
	go func() {
		for {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := c.ReadMessage(); err != nil {
				closed <- err
				return
			}
		}
	}()
	for i := 0; i < 3; i++ {
		select {
		case <-pings:
		case err := <-closed:
			t.Fatalf("stream ended before the pings: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatalf("ping %d never came", i+1)
		}
	}
	if err := c.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-pongs:
		if got != "are you there" {
			t.Fatalf("pong %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
	if got := subscriberGauge(t, e.srv, "students"); got != 1 {
		t.Fatalf("onedoor_stream_subscribers = %v with one client", got)
	}
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var ce *websocket.CloseError
	select {
	case err := <-closed:
		if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
			t.Fatalf("after the client's close: %v; want the close frame echoed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no close frame")
	}
	deadline := time.Now().Add(5 * time.Second)
	for subscriberGauge(t, e.srv, "students") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server still counts the closed client")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// subscriberGauge returns onedoor_stream_subscribers of the stream label (a hall's code).
func subscriberGauge(t *testing.T, s *Server, label string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "onedoor_stream_subscribers" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "hall" && l.GetValue() == label {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}
