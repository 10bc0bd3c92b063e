package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// Message is one stream message: a snapshot (Snapshot set, Type "snapshot") or an event (Event
// set, Type the event type). A snapshot replaces everything the receiver knew about the hall.
type Message struct {
	Type     string
	Seq      uint64
	Snapshot *hall.Snapshot
	Event    *hall.Event
}

// ConnState is the state of a stream connection, for a display's connection indicator.
type ConnState int

// Connection states.
const (
	Connecting   ConnState = iota // dialling (first time or after a drop)
	Connected                     // the server accepted the stream
	Disconnected                  // the connection failed or was closed; a retry follows
)

func (s ConnState) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	}
	return "ConnState(" + strconv.Itoa(int(s)) + ")"
}

// StreamOptions tunes Stream. The zero value is usable.
type StreamOptions struct {
	// OnState is called on every connection state change, with the error that caused a
	// disconnection. It runs on the stream goroutine: keep it short.
	OnState func(ConnState, error)
	// MinBackoff and MaxBackoff bound the pause between reconnections (defaults 250 ms and
	// 10 s); the pause doubles after each failure, with jitter, and resets once connected.
	MinBackoff, MaxBackoff time.Duration
	// ReadTimeout is how long the connection may stay silent (the server pings every 20 s);
	// default 60 s.
	ReadTimeout time.Duration
	// Dialer dials the WebSocket (a default one with a 10 s handshake timeout when nil).
	Dialer *websocket.Dialer
}

// Stream follows the hall's event stream until ctx ends, calling handle with every message in
// order: first a snapshot (unless since > 0 and the server can replay from since), then each
// event. When the connection drops it reconnects with exponential backoff and since=<last seq>,
// so the server replays exactly what was missed (or sends a fresh snapshot when that is too old):
// handle never sees a gap or a duplicate. A handle error stops the stream and is returned; else
// Stream returns ctx's error.
func (c *Client) Stream(ctx context.Context, hallCode string, since uint64, handle func(Message) error, opt *StreamOptions) error {
	var o StreamOptions
	if opt != nil {
		o = *opt
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(10*time.Second, o.MinBackoff)
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 60 * time.Second
	}
	if o.Dialer == nil {
		o.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	state := func(s ConnState, err error) {
		if o.OnState != nil {
			o.OnState(s, err)
		}
	}
	last := since
	backoff := o.MinBackoff
	tried := 0 // servers tried since the last connection (several servers: failover.go)
	for {
		state(Connecting, nil)
		idx, base := c.current()
		connected, status, err := c.streamOnce(ctx, base, hallCode, &last, handle, o, func() { state(Connected, nil) })
		var he *handlerError
		if errors.As(err, &he) {
			state(Disconnected, he.err)
			return he.err
		}
		if ctx.Err() != nil {
			state(Disconnected, ctx.Err())
			return ctx.Err()
		}
		state(Disconnected, err)
		if connected {
			backoff = o.MinBackoff
			tried = 0
		}
		// Several servers: after a dropped connection, a failed dial or a 502/503/504 the next
		// server is tried, with since=last (the servers share the halls' seqs). After a failed
		// dial it is tried at once; the pause comes after a round of them all.
		if n := len(c.servers()); n > 1 && (connected || status == 0 || failoverStatus(status)) {
			c.moveFrom(idx)
			if !connected {
				if tried++; tried < n {
					continue
				}
				tried = 0
			}
		}
		// Full jitter on the upper half: between backoff/2 and backoff.
		pause := backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
		backoff = min(2*backoff, o.MaxBackoff)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			state(Disconnected, ctx.Err())
			return ctx.Err()
		case <-t.C:
		}
	}
}

// handlerError carries an error of the caller's handler out of streamOnce.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }

// streamURL is the WebSocket URL of the hall's stream on the server base.
func streamURL(base, hallCode string, since uint64) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/api/v1/halls/" + url.PathEscape(hallCode) + "/stream")
	if err != nil {
		return "", fmt.Errorf("stream url: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	if since > 0 {
		u.RawQuery = "since=" + strconv.FormatUint(since, 10)
	}
	return u.String(), nil
}

// streamOnce runs one connection to the server base; *last is the seq of the last message
// handled. It reports whether the server accepted the connection, and the status of a refused
// handshake (0 when no answer came).
func (c *Client) streamOnce(ctx context.Context, base, hallCode string, last *uint64, handle func(Message) error, o StreamOptions, onConnected func()) (bool, int, error) {
	connected, err := c.streamConn(ctx, base, hallCode, last, handle, o, onConnected)
	var se *statusError
	if errors.As(err, &se) {
		return false, se.status, err
	}
	return connected, 0, err
}

// statusError is a handshake the server refused with an HTTP status.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// streamConn is streamOnce's connection.
func (c *Client) streamConn(ctx context.Context, base, hallCode string, last *uint64, handle func(Message) error, o StreamOptions, onConnected func()) (bool, error) {
	u, err := streamURL(base, hallCode, *last)
	if err != nil {
		return false, err
	}
	hdr := http.Header{}
	if c.Token != "" {
		hdr.Set("Authorization", "Bearer "+c.Token)
	}
	conn, resp, err := o.Dialer.DialContext(ctx, u, hdr)
	if err != nil {
		if resp != nil {
			return false, &statusError{resp.StatusCode, fmt.Errorf("stream %s: %w (status %d)", hallCode, err, resp.StatusCode)}
		}
		return false, fmt.Errorf("stream %s: %w", hallCode, err)
	}
	defer conn.Close()
	onConnected()
	// Close the connection when ctx ends, to unblock the read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetReadLimit(8 << 20)
	extend := func() { _ = conn.SetReadDeadline(time.Now().Add(o.ReadTimeout)) }
	extend()
	conn.SetPingHandler(func(data string) error {
		extend()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return true, fmt.Errorf("stream %s: %w", hallCode, err)
		}
		extend()
		m, err := decodeMessage(b)
		if err != nil {
			return true, err
		}
		if m.Type != "snapshot" {
			if m.Seq <= *last {
				continue // already handled (cannot happen with a correct server)
			}
			if *last > 0 && m.Seq != *last+1 {
				return true, fmt.Errorf("stream %s: gap after seq %d (got %d); resyncing", hallCode, *last, m.Seq)
			}
		}
		if err := handle(m); err != nil {
			return true, &handlerError{err}
		}
		*last = m.Seq
	}
}

// decodeMessage parses one stream message.
func decodeMessage(b []byte) (Message, error) {
	var head struct {
		Type     string         `json:"type"`
		Seq      uint64         `json:"seq"`
		Snapshot *hall.Snapshot `json:"snapshot"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return Message{}, fmt.Errorf("stream message: %w", err)
	}
	if head.Type == "snapshot" {
		if head.Snapshot == nil {
			return Message{}, errors.New("stream message: snapshot without a snapshot")
		}
		return Message{Type: head.Type, Seq: head.Seq, Snapshot: head.Snapshot}, nil
	}
	var ev hall.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Message{}, fmt.Errorf("stream event: %w", err)
	}
	return Message{Type: string(ev.Type), Seq: ev.Seq, Event: &ev}, nil
}
