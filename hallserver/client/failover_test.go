package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/wire"
)

// TestFailoverToSecondServer: a client given two servers on one store (as two hall servers on
// one etcd cluster) carries on against the second when the first is stopped: issues go through
// with their idempotency key kept (a retry gets the same ticket), an API refusal (4xx) does not
// move it, and the hall stream reconnects to the second server with since=N and continues by
// seq, replaying what it missed while no server answered, with no gap and no new snapshot.
func TestFailoverToSecondServer(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The second server answers 503 while "down" (a follower during an election).
	var down atomic.Bool
	srv2 := hallhttp.NewServer(hallhttp.Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: campus()})
	ts2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"code":"unavailable","message":"no hall server owns the halls at the moment: nothing changed, retry"}}`))
			return
		}
		srv2.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv2.Close(); ts2.Close() })

	c := client.New(e.ts.URL+","+ts2.URL+"/", "kiosk")
	if c.Server() != e.ts.URL {
		t.Fatalf("first server %q", c.Server())
	}
	rec := newRecorder()
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, "students", 0, rec.handle, &client.StreamOptions{OnState: rec.state, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	}()
	rec.wait(t, "snapshot", func(m []client.Message, _ []client.ConnState) bool { return len(m) == 1 })
	issued := func(m []client.Message) []string {
		var out []string
		for _, x := range m {
			if x.Event != nil && x.Event.Type == hall.EventIssued {
				out = append(out, x.Event.Ticket.Number)
			}
		}
		return out
	}
	t1, err := c.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "k1")
	if err != nil || t1.Number != "A001" {
		t.Fatalf("issue on the first server: %+v %v", t1, err)
	}
	rec.wait(t, "A001 on the stream", func(m []client.Message, _ []client.ConnState) bool { return len(issued(m)) == 1 })

	// The first server stops while the second cannot serve yet: every server refuses, the
	// stream waits, and the hall moves on meanwhile (events the stream must replay).
	down.Store(true)
	e.stop()
	rec.wait(t, "disconnected", func(_ []client.Message, s []client.ConnState) bool { return s[len(s)-1] != client.Connected })
	if tk, err := c.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "k2"); err == nil {
		t.Fatalf("issue with no server up: %+v, want an error", tk)
	}
	for range 2 {
		if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A"}); err != nil {
			t.Fatal(err)
		}
	}

	// The second server serves: the client carries on there.
	down.Store(false)
	t2, err := c.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "k2")
	if err != nil || t2.Number != "A004" {
		t.Fatalf("issue after the failover: %+v %v", t2, err)
	}
	if c.Server() != ts2.URL {
		t.Fatalf("server in use %q, want the second %q", c.Server(), ts2.URL)
	}
	again, err := c.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "k2")
	if err != nil || again.ID != t2.ID {
		t.Fatalf("the same idempotency key on the second server: %+v %v, want ticket %s", again, err, t2.Number)
	}
	if _, err := c.Issue(ctx, "students", wire.IssueRequest{Service: "Z"}, ""); client.Code(err) != hall.EUNPROCESSABLE || c.Server() != ts2.URL {
		t.Fatalf("a 4xx: %v, server %q (must stay)", err, c.Server())
	}
	rec.wait(t, "the missed and the new tickets", func(m []client.Message, _ []client.ConnState) bool { return len(issued(m)) == 4 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream returned %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := issued(rec.msgs); got[0] != "A001" || got[1] != "A002" || got[2] != "A003" || got[3] != "A004" {
		t.Fatalf("issued on the stream %v", got)
	}
	seq := rec.msgs[0].Seq
	for _, m := range rec.msgs[1:] {
		if m.Type == "snapshot" {
			t.Fatalf("resumed with a snapshot, not a replay by seq")
		}
		if m.Seq != seq+1 {
			t.Fatalf("seq %d after %d", m.Seq, seq)
		}
		seq = m.Seq
	}
	connects := 0
	for _, s := range rec.states {
		if s == client.Connected {
			connects++
		}
	}
	if connects != 2 {
		t.Fatalf("connections %d (states %v), want 2: the first server, then the second", connects, rec.states)
	}
}
