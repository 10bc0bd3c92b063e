package client_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/wire"
)

func campus() hall.Campus {
	return hall.Campus{
		Name: hall.Text{Zh: "测试", En: "Test"}, TimeZone: hall.DefaultTimeZone,
		Halls: []hall.Hall{{
			Code: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"},
			Services: []hall.Service{{Code: "A", Name: hall.Text{Zh: "学籍", En: "Records"}, AvgMinutes: 5,
				Materials: []hall.Text{{Zh: "学生证", En: "Student card"}}}},
			Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A"}}, {Number: 2, Services: []string{"A"}}},
		}},
	}
}

// env is the real store behind a server; restart swaps in a new Server on the same address.
type env struct {
	t    *testing.T
	q    *bolt.Queue
	auth *bolt.Auth
	addr string
	srv  *hallhttp.Server
	ts   *httptest.Server
}

func newEnv(t *testing.T) *env {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := bolt.NewQueue(context.Background(), db, campus(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, q: q, auth: bolt.NewAuth(db)}
	ctx := context.Background()
	if err := e.auth.CreateStaff(ctx, hall.Staff{Username: "counter1", Role: hall.RoleCounter}, "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.CreateDevice(ctx, hall.Device{Role: hall.RoleKiosk, Hall: "students"}, "kiosk"); err != nil {
		t.Fatal(err)
	}
	e.start("127.0.0.1:0")
	t.Cleanup(func() {
		e.stop()
		q.Close()
		db.Close()
	})
	return e
}

func (e *env) start(addr string) {
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may linger a moment
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.addr = l.Addr().String()
	e.srv = hallhttp.NewServer(hallhttp.Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: campus(), PublicURL: "http://" + e.addr})
	e.ts = httptest.NewUnstartedServer(e.srv)
	e.ts.Listener.Close()
	e.ts.Listener = l
	e.ts.Start()
}

func (e *env) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.ts.Close()
		e.srv = nil
	}
}

func TestClientAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kiosk := client.New(e.ts.URL, "kiosk")
	staff := client.New(e.ts.URL, "")

	if err := kiosk.Health(ctx); err != nil {
		t.Fatal(err)
	}
	halls, err := kiosk.Halls(ctx)
	if err != nil || len(halls) != 1 || halls[0].Services[0].Materials[0].Zh != "学生证" {
		t.Fatalf("halls %+v %v", halls, err)
	}
	t1, err := kiosk.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "k1")
	if err != nil || t1.Number != "A001" || t1.Token == "" || t1.FollowURL == "" || len(t1.Materials) != 1 {
		t.Fatalf("issue %+v %v", t1, err)
	}
	again, err := kiosk.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "k1")
	if err != nil || again.ID != t1.ID {
		t.Fatalf("idempotent issue %+v %v", again, err)
	}
	_, err = kiosk.Issue(ctx, "students", wire.IssueRequest{Service: "Z"}, "")
	var ae *hall.Error
	if !errors.As(err, &ae) || ae.Code != hall.EUNPROCESSABLE || ae.Field != "service" || !strings.Contains(ae.Message, `"Z"`) {
		t.Fatalf("unknown service: %v", err)
	}
	if hall.ErrorCode(err) != hall.EUNPROCESSABLE || client.Code(err) != hall.EUNPROCESSABLE {
		t.Fatal("error code helpers")
	}
	if _, err := kiosk.Act(ctx, "students", 1, hall.ActCallNext, nil); client.Code(err) != hall.EFORBIDDEN {
		t.Fatalf("kiosk act: %v", err)
	}
	if _, err := staff.Login(ctx, "counter1", "nope"); client.Code(err) != hall.EUNAUTHORIZED {
		t.Fatalf("bad login: %v", err)
	}
	s, err := staff.Login(ctx, "counter1", "demo")
	if err != nil || staff.Token != s.Token || s.Role != hall.RoleCounter {
		t.Fatalf("login %+v %v", s, err)
	}
	me, err := staff.Me(ctx)
	if err != nil || me.Subject != "counter1" {
		t.Fatalf("me %+v %v", me, err)
	}
	res, err := staff.Act(ctx, "students", 1, hall.ActOpen, nil)
	if err != nil || res.Counter == nil || res.Counter.State != hall.CounterOpen {
		t.Fatalf("open %+v %v", res, err)
	}
	res, err = staff.Act(ctx, "students", 1, hall.ActCallNext, nil)
	if err != nil || res.Ticket == nil || res.Ticket.Number != "A001" {
		t.Fatalf("call-next %+v %v", res, err)
	}
	res, err = staff.Act(ctx, "students", 1, hall.ActFinish, &hall.CounterAction{Outcome: hall.OutcomeResolved})
	if err != nil || res.Ticket.State != hall.TicketDone {
		t.Fatalf("finish %+v %v", res, err)
	}
	res, err = staff.Act(ctx, "students", 1, hall.ActCallNext, nil)
	if err != nil || res.Ticket != nil || res.Counter != nil {
		t.Fatalf("call-next on an empty queue %+v %v", res, err)
	}
	snap, err := kiosk.Snapshot(ctx, "students")
	if err != nil || snap.Seq == 0 || len(snap.RecentCalls) != 1 {
		t.Fatalf("snapshot %+v %v", snap, err)
	}
	f, err := kiosk.Follow(ctx, t1.Token)
	if err != nil || f.Number != "A001" || f.State != hall.TicketDone {
		t.Fatalf("follow %+v %v", f, err)
	}
	if _, err := kiosk.Follow(ctx, "nothing"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown follow: %v", err)
	}
	t2, _ := kiosk.Issue(ctx, "students", wire.IssueRequest{Service: "A"}, "")
	w, err := staff.Waiting(ctx, "students")
	if err != nil || len(w) != 1 || w[0].Number != "A002" {
		t.Fatalf("waiting %+v %v", w, err)
	}
	if f, err = kiosk.CancelFollow(ctx, t2.Token); err != nil || f.State != hall.TicketCancelled {
		t.Fatalf("cancel %+v %v", f, err)
	}
	if err := staff.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.Me(ctx); client.Code(err) != hall.EUNAUTHORIZED {
		t.Fatalf("me after logout: %v", err)
	}
}

// recorder collects stream messages and connection states.
type recorder struct {
	mu     sync.Mutex
	msgs   []client.Message
	states []client.ConnState
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1000)} }

func (r *recorder) handle(m client.Message) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	r.notify <- struct{}{}
	return nil
}

func (r *recorder) state(s client.ConnState, _ error) {
	r.mu.Lock()
	r.states = append(r.states, s)
	r.mu.Unlock()
	r.notify <- struct{}{}
}

// wait waits until cond holds over the recorder.
func (r *recorder) wait(t *testing.T, what string, cond func(msgs []client.Message, states []client.ConnState) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r.msgs, r.states)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.notify:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timeout waiting for %s: %d messages, states %v", what, len(r.msgs), r.states)
		}
	}
}

func called(msgs []client.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Event != nil && m.Event.Type == hall.EventCalled {
			out = append(out, m.Event.Ticket.Number)
		}
	}
	return out
}

// TestStreamReconnectsAfterRestart: the server goes away while counters keep calling (through the
// store); the client reconnects to the new server on the same address and gets exactly the
// missed events, in order, once.
func TestStreamReconnectsAfterRestart(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < 5; i++ {
		if _, err := e.q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{1, 2} {
		if _, err := e.q.Act(ctx, hall.CounterAction{Hall: "students", Counter: n, Action: hall.ActOpen}); err != nil {
			t.Fatal(err)
		}
	}
	rec := newRecorder()
	c := client.New(e.ts.URL, "")
	done := make(chan error, 1)
	go func() {
		done <- c.Stream(ctx, "students", 0, rec.handle, &client.StreamOptions{OnState: rec.state, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	}()
	rec.wait(t, "snapshot", func(m []client.Message, _ []client.ConnState) bool { return len(m) == 1 })
	if rec.msgs[0].Type != "snapshot" || rec.msgs[0].Snapshot == nil {
		t.Fatalf("first message %+v", rec.msgs[0])
	}
	act := func(n int, action string) {
		t.Helper()
		if _, err := e.q.Act(ctx, hall.CounterAction{Hall: "students", Counter: n, Action: action}); err != nil {
			t.Fatal(err)
		}
	}
	act(1, hall.ActCallNext)
	rec.wait(t, "first call", func(m []client.Message, _ []client.ConnState) bool { return len(called(m)) == 1 })

	addr := e.addr
	e.stop()
	rec.wait(t, "disconnected", func(_ []client.Message, s []client.ConnState) bool { return s[len(s)-1] != client.Connected })
	act(2, hall.ActCallNext)
	act(1, hall.ActFinish)
	act(1, hall.ActCallNext)
	e.start(addr)

	rec.wait(t, "the missed calls", func(m []client.Message, _ []client.ConnState) bool { return len(called(m)) >= 3 })
	act(2, hall.ActRecall)
	rec.wait(t, "a live event", func(m []client.Message, _ []client.ConnState) bool {
		return m[len(m)-1].Event != nil && m[len(m)-1].Event.Type == hall.EventRecalled
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream returned %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := called(rec.msgs); len(got) != 3 || got[0] != "A001" || got[1] != "A002" || got[2] != "A003" {
		t.Fatalf("calls %v", got)
	}
	snaps := 0
	seq := rec.msgs[0].Seq
	for _, m := range rec.msgs[1:] {
		if m.Type == "snapshot" {
			snaps++
		}
		if m.Seq != seq+1 {
			t.Fatalf("seq %d after %d", m.Seq, seq)
		}
		seq = m.Seq
	}
	if snaps != 0 {
		t.Fatalf("resumed with a snapshot, not a replay")
	}
	connects := 0
	for _, s := range rec.states {
		if s == client.Connected {
			connects++
		}
	}
	if connects < 2 || rec.states[len(rec.states)-1] != client.Disconnected {
		t.Fatalf("states %v", rec.states)
	}
}

// TestStreamHandlerErrorStops: an error from the handler ends Stream with that error.
func TestStreamHandlerErrorStops(t *testing.T) {
	e := newEnv(t)
	c := client.New(e.ts.URL, "")
	stop := errors.New("enough")
	err := c.Stream(context.Background(), "students", 0, func(client.Message) error { return stop }, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("Stream returned %v", err)
	}
}
