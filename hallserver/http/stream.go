package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// Serving one stream connection, the same way for every stream (the hall stream in
// hallstream.go, the case streams in casestream.go): the checks before the upgrade (a WebSocket
// request, the origin policy, the per-address cap of streamlimit.go), the upgrade, registering
// with the hub, the snapshot or the replay after since=N, then the live frames, pings and the
// close frame.

// Stream connection timing.
const (
	writeWait  = 10 * time.Second // a write that takes longer drops the client
	pingPeriod = 20 * time.Second
	pongWait   = 60 * time.Second // no pong (or any frame) for this long drops the client
)

// newUpgrader returns the one upgrader of every stream. serveStream applies the origin policy
// (sameOrigin) before the upgrade, to answer with a JSON error, so the upgrader checks no more.
func newUpgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		HandshakeTimeout: 5 * time.Second,
		ReadBufferSize:   512,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      func(*http.Request) bool { return true },
	}
}

// sameOrigin is the server's one origin policy, for the streams and for signing in: a request
// without an Origin (programs: kiosks, displays, the client package) or from this server's own
// pages (the request's host or Config.PublicURL's) is accepted; another site's pages are not.
// The staff case stream is authenticated by cookie, so other sites must not open it; no page of
// another site needs the public streams either, and refusing them keeps other sites from
// spending the per-address stream places of their visitors.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if p, err := url.Parse(s.cfg.PublicURL); err == nil && p.Host != "" && strings.EqualFold(u.Host, p.Host) {
		return true
	}
	return false
}

// sinceParam reads ?since=N, the seq of the last event the client has (0 when absent: start
// from a snapshot). Anything but a decimal sequence number is an EINVALID error naming "since".
func sinceParam(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("since")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, hall.Errorf(hall.EINVALID, "since", "since must be a sequence number, not %q", v)
	}
	return n, nil
}

// streamRequest is one stream connection to serve.
type streamRequest[E any] struct {
	// key is the hub's key in Server.hubs; log starts the hub when it is not running.
	key string
	log streamLog[E]
	// view gives the form in which this client gets an event (noView: not at all).
	view func(*E) view
	// snapshot returns the first message when the client starts afresh and the seq it reflects
	// at least (the events after it follow).
	snapshot func(ctx context.Context) (msg any, seq uint64, err error)
}

// openHub returns the hub under key, starting it on first use, and counts the connection in
// s.conns (the caller calls s.conns.Done when the connection ends).
func openHub[E any](s *Server, key string, src streamLog[E]) (*hub[E], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "server is shutting down")
	}
	h, _ := s.hubs[key].(*hub[E])
	if h == nil {
		h = newHub(src, s.metrics, s.log)
		s.hubs[key] = h
	}
	s.conns.Add(1)
	return h, nil
}

// serveStream serves one stream connection: it refuses a bad since=N (400), what is not a
// WebSocket handshake (400), comes from another site's page (403), or is over its address's cap
// of public streams (429); upgrades; registers with the hub before reading the log, so nothing
// committed afterwards is missed; sends the events after since that the client may see (when the
// log still has them) or a snapshot; then the live events, until the client goes or the hub
// drops it.
func serveStream[E any](s *Server, w http.ResponseWriter, r *http.Request, sr streamRequest[E]) {
	since, err := sinceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "", "this is a WebSocket endpoint; connect with a WebSocket client"))
		return
	}
	if !s.sameOrigin(r) {
		s.writeError(w, r, hall.Errorf(hall.EFORBIDDEN, "Origin", "streams open only from this server's pages"))
		return
	}
	release, err := s.acquireStream(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer release()
	hb, err := openHub(s, sr.key, sr.log)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.conns.Done()
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()

	sub := newSubscriber()
	// What the hub delivers that the snapshot or the replay already covered is skipped by seq.
	if !hb.register(sub, sr.view) {
		closeStream(conn, websocket.CloseTryAgainLater, reasonUnavailable)
		return
	}
	defer hb.unregister(sub)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sub.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	go readPump(conn, sub)

	last, err := startStream(ctx, conn, hb.src, sr, since)
	if err != nil {
		s.log.Warn("stream start failed", "stream", hb.src.label, "err", err)
		closeStream(conn, websocket.CloseInternalServerErr, "could not read the stream's state, retry")
		return
	}
	s.writePump(conn, sub, hb.src.label, last)
}

// startStream writes the events after since that the client may see (when the log still has
// them) or a snapshot, and returns the seq the client is now at.
func startStream[E any](ctx context.Context, conn *websocket.Conn, src streamLog[E], sr streamRequest[E], since uint64) (uint64, error) {
	if since > 0 {
		evs, ok, err := src.since(ctx, since)
		if err != nil {
			return 0, fmt.Errorf("replay %s since %d: %w", src.label, since, err)
		}
		if ok {
			last := since
			for i := range evs {
				ev := &evs[i]
				seq := src.seq(ev)
				if seq <= last {
					continue
				}
				last = seq
				v := sr.view(ev)
				if v == noView {
					continue
				}
				b, err := src.encode(ev, v)
				if err != nil {
					return 0, fmt.Errorf("encode %s event %d: %w", src.label, seq, err)
				}
				if err := writeMessage(conn, b); err != nil {
					return 0, err
				}
			}
			return last, nil
		}
	}
	msg, seq, err := sr.snapshot(ctx)
	if err != nil {
		return 0, fmt.Errorf("snapshot of %s: %w", src.label, err)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("encode %s snapshot: %w", src.label, err)
	}
	if err := writeMessage(conn, b); err != nil {
		return 0, err
	}
	return seq, nil
}

// writeMessage writes one text message within writeWait.
func writeMessage(conn *websocket.Conn, b []byte) error {
	if err := conn.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return fmt.Errorf("stream write deadline: %w", err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("stream write: %w", err)
	}
	return nil
}

// closeStream sends a close frame with code and reason (best effort: the connection closes
// anyway).
func closeStream(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// writePump sends the queued frames after last, pings, and closes the connection with the reason
// the hub gave when the client is dropped. A frame that leaves events unseen between last and
// itself (the hub's subscription began after the client's position) closes the stream with a
// resync reason: the client reconnects with since=N and gets them.
func (s *Server) writePump(conn *websocket.Conn, sub *subscriber, label string, last uint64) {
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-sub.gone: // a drop wins over queued events
			if sub.code != 0 {
				closeStream(conn, sub.code, sub.reason)
			}
			return
		default:
		}
		select {
		case f := <-sub.send:
			if f.seq <= last {
				continue // covered by the snapshot or the replay
			}
			if f.seq != last+1 && f.prev < last {
				s.log.Warn("gap in stream; asking the client to resync", "stream", label, "after", last, "got", f.seq)
				sub.stop(websocket.CloseTryAgainLater, reasonGap)
				continue
			}
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WritePreparedMessage(f.pm); err != nil {
				sub.stop(0, "")
				return
			}
			last = f.seq
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				sub.stop(0, "")
				return
			}
		case <-sub.gone:
			if sub.code != 0 {
				closeStream(conn, sub.code, sub.reason)
			}
			return
		}
	}
}

// readPump reads (and discards) what the client sends, answering pings and noting pongs, until
// the connection fails or stays silent past pongWait.
func readPump(conn *websocket.Conn, sub *subscriber) {
	defer sub.stop(0, "")
	conn.SetReadLimit(4096)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	}
}
