package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// Stream connection timing.
const (
	writeWait  = 10 * time.Second // a write that takes longer drops the client
	pingPeriod = 20 * time.Second
	pongWait   = 60 * time.Second // no pong (or any frame) for this long drops the client
)

// snapshotMessage is the first message of a stream (and of a resync).
type snapshotMessage struct {
	Type     string         `json:"type"` // "snapshot"
	Seq      uint64         `json:"seq"`
	Snapshot *hall.Snapshot `json:"snapshot"`
}

func newUpgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		HandshakeTimeout: 5 * time.Second,
		ReadBufferSize:   512,
		WriteBufferPool:  &sync.Pool{},
		// The stream is public, read-only and needs no cookie: any page may show a hall.
		CheckOrigin: func(*http.Request) bool { return true },
	}
}

// hub returns the hall's hub, starting it on first use, and counts the connection in s.conns.
func (s *Server) hub(hallCode string) (*hub, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "server is shutting down")
	}
	h := s.hubs[hallCode]
	if h == nil {
		h = newHub(hallCode, s.cfg.Events, s.metrics, s.log)
		s.hubs[hallCode] = h
	}
	s.conns.Add(1)
	return h, nil
}

// handleStream serves GET /api/v1/halls/{hall}/stream: a snapshot (or, with since=N, the events
// after N) and then every event of the hall, in order, without gaps or duplicates.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	h, err := s.lookupHall(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var since uint64
	hasSince := false
	if v := r.URL.Query().Get("since"); v != "" {
		since, err = strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.writeError(w, r, hall.Errorf(hall.EINVALID, "since", "since must be a sequence number, not %q", v))
			return
		}
		hasSince = since > 0
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "", "this is a WebSocket endpoint; connect with a WebSocket client"))
		return
	}
	release, err := s.acquireStream(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer release()
	hb, err := s.hub(h.Code)
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
	// Register before reading the snapshot or the log, so nothing committed afterwards is missed;
	// what the hub delivers that the snapshot or replay already covered is skipped by seq.
	if !hb.register(sub) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "stream unavailable, retry"), time.Now().Add(time.Second))
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

	last, err := s.sendStart(ctx, conn, h.Code, since, hasSince)
	if err != nil {
		s.log.Warn("stream start failed", "hall", h.Code, "err", err)
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "could not read the hall state, retry"), time.Now().Add(time.Second))
		return
	}
	s.writePump(conn, sub, h.Code, last)
}

// sendStart writes the replay of the events after since (when the log still has them) or a
// snapshot, and returns the seq the client is now at.
func (s *Server) sendStart(ctx context.Context, conn *websocket.Conn, hallCode string, since uint64, hasSince bool) (uint64, error) {
	if hasSince {
		evs, ok, err := s.cfg.Events.Since(ctx, hallCode, since)
		if err != nil {
			return 0, fmt.Errorf("replay %s since %d: %w", hallCode, since, err)
		}
		if ok {
			last := since
			for _, ev := range evs {
				if ev.Seq <= last {
					continue
				}
				if err := writeJSONMessage(conn, publicEvent(ev)); err != nil {
					return 0, err
				}
				last = ev.Seq
			}
			return last, nil
		}
	}
	snap, err := s.cfg.Queue.Snapshot(ctx, hallCode)
	if err != nil {
		return 0, fmt.Errorf("snapshot %s: %w", hallCode, err)
	}
	if err := writeJSONMessage(conn, snapshotMessage{Type: "snapshot", Seq: snap.Seq, Snapshot: publicSnapshot(snap)}); err != nil {
		return 0, err
	}
	return snap.Seq, nil
}

func writeJSONMessage(conn *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode stream message: %w", err)
	}
	if err := conn.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return fmt.Errorf("stream write deadline: %w", err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("stream write: %w", err)
	}
	return nil
}

// writePump sends queued events after last, pings, and closes the connection with the reason the
// hub gave when the client is dropped.
func (s *Server) writePump(conn *websocket.Conn, sub *subscriber, hallCode string, last uint64) {
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-sub.gone: // a drop wins over queued events
			if sub.code != 0 {
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(sub.code, sub.reason), time.Now().Add(time.Second))
			}
			return
		default:
		}
		select {
		case f := <-sub.send:
			if f.seq <= last {
				continue // covered by the snapshot or the replay
			}
			if last > 0 && f.seq != last+1 {
				s.log.Warn("gap in stream; asking the client to resync", "hall", hallCode, "after", last, "got", f.seq)
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
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(sub.code, sub.reason), time.Now().Add(time.Second))
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
