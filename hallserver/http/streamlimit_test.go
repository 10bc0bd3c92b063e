package http

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onedoor/hallserver/wire"

	"github.com/gorilla/websocket"
)

// dialFrom opens a WebSocket at the server's path from the loopback alias ip with the headers
// hdr (name, value…). It returns the connection, or nil and the refusal's status and body.
func dialFrom(t *testing.T, base, path, ip string, hdr ...string) (*websocket.Conn, int, []byte) {
	t.Helper()
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 10 * time.Second}
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+path, h)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial %s from %s: %v", path, ip, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, resp.StatusCode, b
	}
	t.Cleanup(func() { c.Close() })
	return c, http.StatusSwitchingProtocols, nil
}

// wantTooMany checks a refusal is 429 with a JSON error of code too_many_requests.
func wantTooMany(t *testing.T, what string, status int, body []byte) {
	t.Helper()
	var eb wire.ErrorBody
	if status != http.StatusTooManyRequests || json.Unmarshal(body, &eb) != nil || eb.Error.Code != ETOOMANY || eb.Error.Message == "" {
		t.Fatalf("%s: status %d body %s; want 429 with a JSON too_many_requests error", what, status, body)
	}
}

func TestPublicHallStreamCapPerAddress(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.MaxStreamsPerAddr = 2 }))
	const path = "/api/v1/halls/students/stream"
	var mine []*websocket.Conn
	for i := range 2 {
		c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3")
		if c == nil {
			t.Fatalf("stream %d from 127.0.0.3 under the cap: %d %s", i+1, status, body)
		}
		read(t, c, 5*time.Second) // the snapshot
		mine = append(mine, c)
	}
	c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3")
	if c != nil {
		t.Fatal("a third public stream from 127.0.0.3 was upgraded over the cap of 2")
	}
	wantTooMany(t, "third stream from 127.0.0.3", status, body)

	// Another address, and a device with its token from the capped address, still get in.
	if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.2"); c == nil {
		t.Fatalf("stream from 127.0.0.2: %d %s", status, body)
	}
	if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3", "Authorization", "Bearer "+displayStudents); c == nil {
		t.Fatalf("display stream (with its token) from 127.0.0.3: %d %s", status, body)
	}
	// A bad token is no way around the cap.
	if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3", "Authorization", "Bearer nonsense"); c != nil {
		t.Fatal("a stream with a bad token got round the cap")
	} else {
		wantTooMany(t, "stream with a bad token", status, body)
	}

	// Closing a stream frees its place (once the server has seen the close).
	mine[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3")
		if c != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place of a closed stream was never freed: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := counterValue(t, e.srv, "onedoor_stream_refused_total", "per_ip"); got < 2 {
		t.Errorf("onedoor_stream_refused_total{reason=per_ip} = %v, want at least 2", got)
	}
}

// TestPublicStreamCapOnlyUnderPressure: while the server has room, one address (a campus NAT)
// opens public streams past MaxStreamsPerAddr; once it is under pressure the address at its cap
// gets 429, while another address still gets its stream.
func TestPublicStreamCapOnlyUnderPressure(t *testing.T) {
	var pressure atomic.Bool
	e := newEnv(t, withConfig(func(c *Config) {
		c.MaxStreamsPerAddr = 2
		c.UnderPressure = pressure.Load
	}))
	const path = "/api/v1/halls/students/stream"
	for i := range 5 {
		c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3")
		if c == nil {
			t.Fatalf("stream %d from 127.0.0.3 (cap 2) refused while the server has room: %d %s", i+1, status, body)
		}
		read(t, c, 5*time.Second) // the snapshot
	}
	pressure.Store(true)
	c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3")
	if c != nil {
		t.Fatal("a sixth public stream from 127.0.0.3 (cap 2) was upgraded under pressure")
	}
	wantTooMany(t, "stream from 127.0.0.3 under pressure", status, body)
	for i := range 2 {
		if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.2"); c == nil {
			t.Fatalf("stream %d from 127.0.0.2 (under its cap) refused under pressure: %d %s", i+1, status, body)
		}
	}
	if c, _, _ := dialFrom(t, e.ts.URL, path, "127.0.0.2"); c != nil {
		t.Fatal("a third public stream from 127.0.0.2 (cap 2) was upgraded under pressure")
	}
	// The pressure gone, the big address gets in again.
	pressure.Store(false)
	if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3"); c == nil {
		t.Fatalf("stream from 127.0.0.3 once the pressure is gone: %d %s", status, body)
	}
}

func TestCaseFollowStreamCapPerAddress(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	// Serve again with the cap (newCaseEnv builds its own Config).
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv = NewServer(Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Reports: e.cs, Topics: e.topics, LongList: e.list, MaxStreamsPerAddr: 1})
	e.ts.Config.Handler = e.srv
	e.ts.Start()

	path := "/api/v1/case-follow/" + oc.Token + "/stream"
	if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3"); c == nil {
		t.Fatalf("first follow stream: %d %s", status, body)
	}
	c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.3")
	if c != nil {
		t.Fatal("a second follow stream from 127.0.0.3 was upgraded over the cap of 1")
	}
	wantTooMany(t, "second follow stream", status, body)
	if c, status, body := dialFrom(t, e.ts.URL, path, "127.0.0.2"); c == nil {
		t.Fatalf("follow stream from 127.0.0.2: %d %s", status, body)
	}
}

// TestStreamOutlivesRequestDeadlines: the read and write deadlines of plain requests must not
// reach the WebSocket streams, which stay open for hours.
func TestStreamOutlivesRequestDeadlines(t *testing.T) {
	const d = 200 * time.Millisecond
	e := newEnv(t, withConfig(func(c *Config) { c.ReadTimeout, c.WriteTimeout = d, d }))
	c := e.dial("students", 0)
	read(t, c, 5*time.Second) // the snapshot
	time.Sleep(5 * d)         // past both deadlines
	tk := e.issue("A")
	m := read(t, c, 5*time.Second)
	if m.Type != "ticket.issued" || m.Ticket == nil || m.Ticket.Number != tk.Number {
		t.Fatalf("after the request deadlines the stream sent %s; want the issue of %s", m.raw, tk.Number)
	}
	// The client may also still talk to the server (a ping is answered).
	pong := make(chan struct{}, 1)
	c.SetPongHandler(func(string) error { pong <- struct{}{}; return nil })
	if err := c.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("ping after the deadlines: %v", err)
	}
	go func() { c.SetReadDeadline(time.Now().Add(5 * time.Second)); c.ReadMessage() }()
	select {
	case <-pong:
	case <-time.After(10 * time.Second):
		t.Fatal("no pong after the request deadlines")
	}
}

// TestSlowBodyCut: a request body that does not arrive within ReadTimeout ends the request with
// 408 and a JSON error, and issues nothing.
func TestSlowBodyCut(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.ReadTimeout = 300 * time.Millisecond }))
	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "POST /api/v1/halls/students/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kioskStudents +
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"service\":"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	// The rest of the body never comes. The guard deadline is far past ReadTimeout.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var eb wire.ErrorBody
	if resp.StatusCode != http.StatusRequestTimeout || json.Unmarshal(b, &eb) != nil || eb.Error.Code != ETIMEOUT {
		t.Fatalf("stalled body: %d %s; want 408 request_timeout", resp.StatusCode, b)
	}
	waiting, err := e.q.Waiting(context.Background(), "students")
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 0 {
		t.Fatalf("a stalled request issued %d tickets", len(waiting))
	}
}

// counterValue reads a counter of the server's registry by name and label value.
func counterValue(t *testing.T, s *Server, name, label string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
