package http

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
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
	// owner is the ownerKey of the principal the handler authenticated ("": serveStream looks at
	// the request's credentials itself); the stream closes when that account is disabled or
	// changed, or the device revoked (closeStreamsOf).
	owner string
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
// log still has them) or a snapshot; then hands the connection to its reader goroutine and
// returns, so that nothing of the HTTP request (its buffers, context, handler stack) stays with
// the stream. The live events follow until the client goes or the hub drops it.
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
	owner := sr.owner
	if owner == "" {
		owner = s.streamOwner(r)
	}
	release, err := s.acquireStream(r, owner != "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hb, err := openHub(s, sr.key, sr.log)
	if err != nil {
		release()
		s.writeError(w, r, err)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		release()
		s.conns.Done()
		return // the upgrader has answered
	}
	sc := &streamConn{s: s, ws: ws, nc: ws.NetConn(), label: hb.src.label, release: release, closed: make(chan struct{})}
	sc.run = sc.write
	sc.writing = true // the handler writes the start itself, then empties the queue (below)
	if !hb.register(&sc.subscriber, sr.view) {
		sc.stop(websocket.CloseTryAgainLater, reasonUnavailable)
		sc.write()
		sc.finish()
		return
	}
	sc.leave = func() { hb.unregister(&sc.subscriber) }
	if owner != "" && !s.ownStream(owner, sc, r) {
		sc.stop(websocket.ClosePolicyViolation, reasonRevoked)
		sc.write()
		sc.finish()
		return
	}
	// What the hub queues meanwhile that the snapshot or the replay already covered is skipped
	// by seq.
	last, err := startStream(r.Context(), sc.nc, hb.src, sr, since)
	if err != nil {
		if !errors.Is(err, errStreamWrite) {
			s.log.Warn("stream start failed", "stream", hb.src.label, "err", err)
			sc.stop(websocket.CloseInternalServerErr, "could not read the stream's state, retry")
		} else {
			sc.stop(0, "")
		}
		sc.write()
		sc.finish()
		return
	}
	sc.last = last
	sc.ping = time.AfterFunc(s.cfg.streamPing, sc.pingDue)
	go sc.read()
	sc.write()
}

// errStreamWrite marks a failed write to a stream client: the connection is gone.
var errStreamWrite = errors.New("stream write")

// startStream writes the events after since that the client may see (when the log still has
// them) or a snapshot, and returns the seq the client is now at.
func startStream[E any](ctx context.Context, nc net.Conn, src streamLog[E], sr streamRequest[E], since uint64) (uint64, error) {
	if since > 0 {
		evs, ok, err := src.since(ctx, since)
		if err != nil {
			return 0, fmt.Errorf("replay %s since %d: %w", src.label, since, err)
		}
		if ok {
			last := since
			var buf []byte // the replayed frames, written in large pieces
			var sent *E    // the event replayed last
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
				var b []byte
				var err error
				if sent != nil && src.seq(sent) == seq-1 && src.encodeAfter != nil {
					b, err = src.encodeAfter(ev, sent, v)
				} else {
					b, err = src.encode(ev, v)
				}
				sent = ev
				if err != nil {
					return 0, fmt.Errorf("encode %s event %d: %w", src.label, seq, err)
				}
				buf = appendFrame(buf, websocket.TextMessage, b)
				if len(buf) >= replayChunk {
					if err := writeFrames(nc, buf); err != nil {
						return 0, err
					}
					buf = buf[:0]
				}
			}
			if len(buf) > 0 {
				if err := writeFrames(nc, buf); err != nil {
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
	if err := writeFrames(nc, wsFrame(websocket.TextMessage, b)); err != nil {
		return 0, err
	}
	return seq, nil
}

// replayChunk is the size of the pieces in which a replay is written.
const replayChunk = 32 << 10

// writeFrames writes ready WebSocket frames within writeWait.
func writeFrames(nc net.Conn, b []byte) error {
	if err := nc.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return fmt.Errorf("%w: deadline: %w", errStreamWrite, err)
	}
	if _, err := nc.Write(b); err != nil {
		return fmt.Errorf("%w: %w", errStreamWrite, err)
	}
	return nil
}

// The stream's own WebSocket frames. After the upgrade the server writes every frame itself
// (gorilla/websocket only reads): the hub frames each event once for all its clients, and a
// writer sends whatever is queued in one system call. Server frames are final and unmasked
// (RFC 6455 §5.2).

// wsFrame returns payload as one frame of message type op (websocket.TextMessage, PingMessage…).
func wsFrame(op int, payload []byte) []byte {
	return appendFrame(make([]byte, 0, frameHeaderMax+len(payload)), op, payload)
}

// frameHeaderMax is the longest header of an unmasked frame.
const frameHeaderMax = 10

// appendFrame appends payload to b as one frame of message type op.
func appendFrame(b []byte, op int, payload []byte) []byte {
	n := len(payload)
	b = append(b, 0x80|byte(op))
	switch {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// streamConn is one stream connection after its start: the hub's subscriber, its writer and its
// reader. The reader is the one goroutine a quiet connection keeps: it reads (and discards) what
// the client sends, notes pongs, and ends the connection when reading fails. The writer runs
// only while there is something to write (frames, a pong, a ping every pingPeriod, the close
// frame).
type streamConn struct {
	subscriber
	s     *Server
	ws    *websocket.Conn
	nc    net.Conn
	label string
	// owner is the ownerKey of the credentials the stream was opened with ("" for none).
	owner string
	// release gives back the stream's place (acquireStream); leave unregisters it from the hub.
	release, leave func()
	// ping fires every pingPeriod to send a ping.
	ping *time.Timer
	// last is the seq the client is at; deadline is the connection's write deadline (the
	// writer's, one writer at a time).
	last     uint64
	deadline time.Time
	// pinging and pong are what the writer sends besides frames (under mu): a ping, the answer
	// to the client's ping.
	pinging bool
	pong    []byte
	// closed is closed once the writer has closed the connection (the writer is the only one
	// that closes it, after the close frame when there is one).
	closed chan struct{}
}

// pingDue asks the writer for a ping and sets the next one.
func (sc *streamConn) pingDue() {
	sc.mu.Lock()
	if sc.stopped {
		sc.mu.Unlock()
		return
	}
	sc.pinging = true
	start := sc.startLocked()
	sc.mu.Unlock()
	sc.ping.Reset(sc.s.cfg.streamPing)
	if start {
		go sc.write()
	}
}

// pongDue asks the writer to answer the client's ping.
func (sc *streamConn) pongDue(data string) error {
	sc.mu.Lock()
	if sc.stopped {
		sc.mu.Unlock()
		return nil
	}
	sc.pong = wsFrame(websocket.PongMessage, []byte(data))
	start := sc.startLocked()
	sc.mu.Unlock()
	if start {
		go sc.write()
	}
	return nil
}

// write sends what is queued, each round in one system call, until nothing is left; when the
// client is stopped it sends the close frame (a code other than 0) and closes the connection. A
// frame that leaves events unseen between last and itself (the hub's subscription began after
// the client's position) stops the client with a resync reason: it reconnects with since=N and
// gets them.
func (sc *streamConn) write() {
	for {
		sc.mu.Lock()
		if sc.stopped {
			code, reason := sc.code, sc.reason
			sc.mu.Unlock() // writing stays set: no writer after this one
			if code != 0 {
				_ = sc.nc.SetWriteDeadline(time.Now().Add(time.Second))
				_, _ = sc.nc.Write(wsFrame(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason)))
			}
			_ = sc.nc.Close()
			close(sc.closed)
			return
		}
		ping, pong := sc.pinging, sc.pong
		sc.pinging, sc.pong = false, nil
		q := sc.takeLocked(ping || pong != nil)
		if len(q) == 0 && !ping && pong == nil {
			sc.writing = false
			sc.mu.Unlock()
			return
		}
		sc.mu.Unlock()
		if err := sc.send(q, ping, pong); err != nil {
			sc.stop(0, "")
		}
		sc.giveBack(q)
	}
}

// send writes the frames after last, the pong and the ping in one system call.
func (sc *streamConn) send(q []*frame, ping bool, pong []byte) error {
	var one []byte // the only frame to send, written as it is
	var buf *[]byte
	n := 0
	add := func(b []byte) {
		n++
		switch {
		case n == 1:
			one = b
		case n == 2:
			buf = sc.s.writeBuffer()
			*buf = append(append(*buf, one...), b...)
		default:
			*buf = append(*buf, b...)
		}
	}
	gap := false
	for _, f := range q {
		if f.seq <= sc.last {
			continue // covered by the snapshot or the replay
		}
		if f.seq != sc.last+1 && f.prev < sc.last {
			sc.s.log.Warn("gap in stream; asking the client to resync", "stream", sc.label, "after", sc.last, "got", f.seq)
			gap = true
			break
		}
		add(f.msg)
		sc.last = f.seq
	}
	if pong != nil {
		add(pong)
	}
	if ping {
		add(pingFrame)
	}
	var err error
	switch {
	case n == 1:
		err = sc.writeOut(one)
	case n > 1:
		err = sc.writeOut(*buf)
		sc.s.putWriteBuffer(buf)
	}
	if gap && err == nil {
		sc.stop(websocket.CloseTryAgainLater, reasonGap)
	}
	return err
}

// writeOut writes ready frames to the client. The write deadline is set again only when less
// than half of writeWait is left of it (a write gets writeWait/2 to writeWait): setting it is a
// runtime timer update, which every write to every client would otherwise pay.
func (sc *streamConn) writeOut(b []byte) error {
	if now := time.Now(); sc.deadline.Sub(now) < writeWait/2 {
		sc.deadline = now.Add(writeWait)
		if err := sc.nc.SetWriteDeadline(sc.deadline); err != nil {
			return fmt.Errorf("%w: deadline: %w", errStreamWrite, err)
		}
	}
	if _, err := sc.nc.Write(b); err != nil {
		return fmt.Errorf("%w: %w", errStreamWrite, err)
	}
	return nil
}

// pingFrame is the server's ping, without payload.
var pingFrame = []byte{0x80 | websocket.PingMessage, 0}

// read is the connection's reader: it reads (and discards) what the client sends, answering
// pings (through the writer) and closes, and noting pongs, until the connection fails or stays
// silent past pongWait; then it ends the connection.
func (sc *streamConn) read() {
	defer sc.finish()
	ws := sc.ws
	ws.SetReadLimit(4096)
	_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(pongWait)) })
	ws.SetPingHandler(sc.pongDue)
	ws.SetCloseHandler(func(code int, _ string) error {
		sc.stop(code, "") // the writer answers with the client's code and closes
		return nil
	})
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
		_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	}
}

// finish ends the connection once its reader is done (or its start failed): the writer closes
// it (after the close frame, when there is one; a writer blocked on a stalled client first waits
// out its write deadline), then the hub forgets it and its stream place is given back.
func (sc *streamConn) finish() {
	sc.stop(0, "")
	<-sc.closed
	if sc.ping != nil {
		sc.ping.Stop()
	}
	if sc.leave != nil {
		sc.leave()
	}
	if sc.owner != "" {
		sc.s.disownStream(sc.owner, sc)
	}
	sc.release()
	sc.s.conns.Done()
}

// maxFrameBuffer is the largest gathering buffer kept for reuse.
const maxFrameBuffer = 64 << 10

// writeBuffer returns an empty buffer to gather frames in; putWriteBuffer gives it back.
func (s *Server) writeBuffer() *[]byte {
	if b, ok := s.frameBufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 2048)
	return &b
}

func (s *Server) putWriteBuffer(b *[]byte) {
	if cap(*b) > maxFrameBuffer {
		return
	}
	*b = (*b)[:0]
	s.frameBufs.Put(b)
}
