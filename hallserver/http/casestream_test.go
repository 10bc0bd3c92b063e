package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// caseMsg is any case stream message.
type caseMsg struct {
	Type  string            `json:"type"`
	Seq   uint64            `json:"seq"`
	Left  bool              `json:"left"`
	Actor string            `json:"actor"`
	Case  *hall.Case        `json:"case"`
	Cases []json.RawMessage `json:"cases"`
	raw   string
}

// dialCases opens a case stream at path (with since when > 0) as token ("" for none).
func (e *caseEnv) dialCases(path, token string, since uint64, hdr ...string) *websocket.Conn {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + path
	if since > 0 {
		u += "?since=" + jsonNum(int(since))
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		e.t.Fatalf("dial %s: %v (%d)", u, err, code)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func readCase(t *testing.T, c *websocket.Conn, d time.Duration) (caseMsg, bool) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.ReadMessage()
	if err != nil {
		return caseMsg{}, false
	}
	var m caseMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("case stream message %s: %v", b, err)
	}
	m.raw = string(b)
	return m, true
}

// readUntil reads messages until one has a seq of at least seq.
func readUntil(t *testing.T, c *websocket.Conn, seq uint64) []caseMsg {
	t.Helper()
	var out []caseMsg
	for {
		m, ok := readCase(t, c, 3*time.Second)
		if !ok {
			t.Fatalf("no message up to seq %d; got %d messages", seq, len(out))
		}
		out = append(out, m)
		if m.Seq >= seq {
			return out
		}
	}
}

// quiet checks that nothing more arrives for a moment.
func quiet(t *testing.T, c *websocket.Conn) {
	t.Helper()
	if m, ok := readCase(t, c, 150*time.Millisecond); ok {
		t.Fatalf("unexpected message %s", m.raw)
	}
}

func (e *caseEnv) caseAct(token, id, action string, body any) {
	e.t.Helper()
	if r := e.do("POST", "/api/v1/cases/"+id+"/"+action, token, body); r.status != 200 {
		e.t.Fatalf("%s %s: %d %s", action, id, r.status, r.body)
	}
}

func TestCaseStreamReplayAndLive(t *testing.T) {
	e := newCaseEnv(t)
	sup := e.login("supervisor")
	lib := e.login("h-library")
	a := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座"}, "")
	c := e.dialCases("/api/v1/cases/stream", sup, 0)
	snap, ok := readCase(t, c, 2*time.Second)
	if !ok || snap.Type != "snapshot" || snap.Seq != e.cs.LastSeq() || len(snap.Cases) != 1 || !strings.Contains(string(snap.Cases[0]), a.Number) {
		t.Fatalf("snapshot: %s", snap.raw)
	}
	checkSchema(t, []byte(snap.raw), "CaseStreamSnapshot")
	b := e.openKiosk(map[string]any{"kind": "complaint", "category": "campus-network", "text": "断网"}, "")
	msgs := readUntil(t, c, e.cs.LastSeq())
	for i, m := range msgs {
		if m.Seq != snap.Seq+uint64(i)+1 || m.Case == nil || m.Case.Number != b.Number {
			t.Fatalf("live %d: %s", i, m.raw)
		}
		checkSchema(t, []byte(m.raw), "CaseStreamEvent")
	}
	last := msgs[len(msgs)-1].Seq
	c.Close()

	e.caseAct(lib, a.ID, "sign", nil)
	e.caseAct(lib, a.ID, "note", map[string]string{"text": "内部备注"})
	cNum := e.openKiosk(map[string]any{"kind": "suggestion", "category": "canteens", "text": "食堂"}, "").Number
	target := e.cs.LastSeq()
	c = e.dialCases("/api/v1/cases/stream", sup, last)
	msgs = readUntil(t, c, target)
	if uint64(len(msgs)) != target-last {
		t.Fatalf("replay of %d events after %d: %d messages", target-last, last, len(msgs))
	}
	for i, m := range msgs {
		if m.Type == "snapshot" || m.Seq != last+uint64(i)+1 {
			t.Fatalf("replay %d: %s", i, m.raw)
		}
	}
	if msgs[0].Type != string(hall.CaseEvSigned) || msgs[1].Type != string(hall.CaseEvNoted) || msgs[len(msgs)-1].Case.Number != cNum {
		t.Fatalf("replayed types %s, %s", msgs[0].Type, msgs[1].Type)
	}
	// Live after the replay, without a gap or a repeat.
	e.caseAct(lib, a.ID, "reply", map[string]string{"text": "已处理"})
	if m, ok := readCase(t, c, 2*time.Second); !ok || m.Seq != target+1 || m.Type != string(hall.CaseEvReplied) {
		t.Fatalf("live after replay: %s", m.raw)
	}
	// A since ahead of the log gets a snapshot.
	c2 := e.dialCases("/api/v1/cases/stream", sup, target+1000)
	if m, ok := readCase(t, c2, 2*time.Second); !ok || m.Type != "snapshot" || m.Seq != e.cs.LastSeq() {
		t.Fatalf("since ahead: %s", m.raw)
	}
}

// TestCaseStreamDepartments: a handler's stream carries its department's case events only; a
// case re-routed away arrives once more as "left" without the requester; the office sees all.
func TestCaseStreamDepartments(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib, it := e.login("supervisor"), e.login("h-library"), e.login("h-it")
	libC := e.dialCases("/api/v1/cases/stream", lib, 0)
	itC := e.dialCases("/api/v1/cases/stream", it, 0)
	supC := e.dialCases("/api/v1/cases/stream", sup, 0)
	for _, c := range []*websocket.Conn{libC, itC, supC} {
		if m, ok := readCase(t, c, 2*time.Second); !ok || m.Type != "snapshot" || len(m.Cases) != 0 {
			t.Fatalf("snapshot %s", m.raw)
		}
	}
	l := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座", "requester": map[string]string{"name": "张三", "phone": "13812345678"}}, "")
	afterL := e.cs.LastSeq()
	e.openKiosk(map[string]any{"kind": "complaint", "category": "campus-network", "text": "断网"}, "")
	afterI := e.cs.LastSeq()
	e.caseAct(sup, l.ID, "dispatch", map[string]string{"department": "it"})
	final := e.cs.LastSeq()

	got := readUntil(t, libC, final)
	for _, m := range got {
		if m.Seq > afterL && m.Seq <= afterI {
			t.Fatalf("library got an IT case event: %s", m.raw)
		}
		if m.Seq <= afterL && (m.Case.Number != l.Number || m.Case.Requester.Phone != "13812345678") {
			t.Fatalf("library event of its case: %s", m.raw)
		}
	}
	left := got[len(got)-1]
	if !left.Left || left.Seq != final || left.Case.Number != l.Number || left.Case.Department != "it" ||
		strings.Contains(left.raw, "13812345678") || strings.Contains(left.raw, "张") || strings.Contains(left.raw, "占座") {
		t.Fatalf("left event: %s", left.raw)
	}
	checkSchema(t, []byte(left.raw), "CaseStreamEvent")
	quiet(t, libC)

	got = readUntil(t, itC, final)
	for _, m := range got {
		if m.Seq <= afterL {
			t.Fatalf("IT got the library case before it was dispatched there: %s", m.raw)
		}
	}
	if m := got[len(got)-1]; m.Left || m.Case.Number != l.Number || m.Case.Requester.Phone != "13812345678" || m.Case.Department != "it" {
		t.Fatalf("IT's dispatched event: %s", m.raw)
	}
	if len(readUntil(t, supC, final)) != int(final) {
		t.Fatal("the office missed events")
	}
	// Reconnecting with since replays only the department's events.
	c := e.dialCases("/api/v1/cases/stream", lib, afterL)
	if m, ok := readCase(t, c, 2*time.Second); !ok || m.Seq != final || !m.Left {
		t.Fatalf("library replay: %s", m.raw)
	}
	quiet(t, c)
}

// TestCaseFollowStream: the follow page's stream has its case's public events only, public view.
func TestCaseFollowStream(t *testing.T) {
	e := newCaseEnv(t)
	lib := e.login("h-library")
	oc := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "占座", "requester": map[string]string{"name": "张三", "phone": "13812345678"}}, "")
	c := e.dialCases("/api/v1/case-follow/"+oc.Token+"/stream", "", 0)
	snap, ok := readCase(t, c, 2*time.Second)
	if !ok || snap.Type != "snapshot" || snap.Case == nil || snap.Case.Number != oc.Number || strings.Contains(snap.raw, "13812345678") {
		t.Fatalf("follow snapshot: %s", snap.raw)
	}
	checkSchema(t, []byte(snap.raw), "CaseFollowStreamSnapshot")
	e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "别的"}, "")
	e.caseAct(lib, oc.ID, "note", map[string]string{"text": "内部备注：此人常来"})
	e.caseAct(lib, oc.ID, "sign", nil)
	e.caseAct(lib, oc.ID, "reply", map[string]string{"text": "已增加巡查"})
	final := e.cs.LastSeq()
	got := readUntil(t, c, final)
	if len(got) != 2 || got[0].Type != string(hall.CaseEvSigned) || got[1].Type != string(hall.CaseEvReplied) {
		var types []string
		for _, m := range got {
			types = append(types, m.Type)
		}
		t.Fatalf("follow events %v", types)
	}
	for _, m := range got {
		checkSchema(t, []byte(m.raw), "CaseStreamEvent")
		if strings.Contains(m.raw, "13812345678") || strings.Contains(m.raw, "h-library") || strings.Contains(m.raw, "内部备注") ||
			m.Case.Number != oc.Number {
			t.Fatalf("follow event leaks: %s", m.raw)
		}
	}
	if got[1].Case.LastReply() == nil || got[1].Case.LastReply().Text != "已增加巡查" {
		t.Fatalf("reply not in the event: %s", got[1].raw)
	}
	quiet(t, c)
	// since replays the public events only.
	c2 := e.dialCases("/api/v1/case-follow/"+oc.Token+"/stream", "", snap.Seq)
	if m := readUntil(t, c2, final); len(m) != 2 {
		t.Fatalf("follow replay: %d messages", len(m))
	}
	if r := e.do("GET", "/api/v1/case-follow/nothing/stream", "", nil); r.status != 404 {
		t.Fatalf("unknown token: %d", r.status)
	}
}

func TestCaseStreamAuth(t *testing.T) {
	e := newCaseEnv(t)
	counter := e.login("counter1")
	for tok, want := range map[string]int{"": 401, kioskStudents: 403, counter: 403} {
		if r := e.do("GET", "/api/v1/cases/stream", tok, nil); r.status != want {
			t.Fatalf("token %q: %d (want %d) %s", tok, r.status, want, r.body)
		}
	}
	sup := e.login("supervisor")
	if r := e.do("GET", "/api/v1/cases/stream", sup, nil); r.status != 400 {
		t.Fatalf("plain GET: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/cases/stream?since=x", sup, nil); r.status != 400 {
		t.Fatalf("bad since: %d", r.status)
	}
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/cases/stream"
	_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + sup}, "Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("cross-origin handshake: %v %v", err, resp)
	}
	// Same origin is fine.
	e.dialCases("/api/v1/cases/stream", sup, 0, "Origin", e.ts.URL)
}

// fakeCaseLog is an in-memory hall.CaseLog for hub tests.
type fakeCaseLog struct {
	mu   sync.Mutex
	evs  []hall.CaseEvent
	subs map[chan hall.CaseEvent]bool
}

func (l *fakeCaseLog) publish(c *hall.Case) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := hall.CaseEvent{Seq: uint64(len(l.evs)) + 1, Type: hall.CaseEvNoted, At: time.Now(), Case: c}
	l.evs = append(l.evs, ev)
	for ch := range l.subs {
		select {
		case ch <- ev:
		default:
			delete(l.subs, ch)
			close(ch)
		}
	}
}

func (l *fakeCaseLog) Since(_ context.Context, seq uint64) ([]hall.CaseEvent, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq > uint64(len(l.evs)) {
		return nil, false, nil
	}
	return append([]hall.CaseEvent(nil), l.evs[seq:]...), true, nil
}

func (l *fakeCaseLog) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.evs))
}

func (l *fakeCaseLog) Subscribe(buffer int) (<-chan hall.CaseEvent, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan hall.CaseEvent, buffer)
	l.subs[ch] = true
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.subs[ch] {
			delete(l.subs, ch)
			close(ch)
		}
	}
}

// TestCaseHubDropsSlowClient: a client whose queue is full is dropped with 1013 "slow consumer",
// the others go on; clients that may not see an event do not fill up.
func TestCaseHubDropsSlowClient(t *testing.T) {
	l := &fakeCaseLog{subs: map[chan hall.CaseEvent]bool{}}
	s := NewServer(Config{Campus: testCampus()})
	defer s.Close()
	h := newHub(s.caseStreamLog(l), s.metrics, s.log)
	defer h.close()
	slow, other, fast := newSubscriber(), newSubscriber(), newSubscriber()
	for c, p := range map[*subscriber]*hall.Principal{
		slow:  {Role: hall.RoleSupervisor},
		other: {Role: hall.RoleHandler, Department: "it"},
		fast:  {Role: hall.RoleSupervisor},
	} {
		if !h.register(c, staffCaseView(p)) {
			t.Fatal("register refused")
		}
	}
	// The fast client takes each event before the next is published, so only the slow one can fall
	// behind (a draining goroutine could itself lag on a loaded machine and be dropped).
	for i := 0; i < clientBuffer+10; i++ {
		l.publish(&hall.Case{ID: "c1", Number: "N1", Department: "library"})
		next(t, fast)
	}
	waitDropped(t, slow, websocket.CloseTryAgainLater, reasonSlow)
	stillThere(t, other) // it sees none of the events
	if n := queued(other); n != 0 {
		t.Fatalf("other department's client got %d frames", n)
	}
}

// lose commits an event to the fake log without delivering it to the subscriptions, as a log
// that breaks its contract would.
func (l *fakeCaseLog) lose(c *hall.Case) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, hall.CaseEvent{Seq: uint64(len(l.evs)) + 1, Type: hall.CaseEvNoted, At: time.Now(), Case: c})
}

// TestCaseStreamResyncsOnMissedEvent: when the first event the hub's subscription delivers is not
// the one after the client's snapshot (the event in between was lost), the case stream closes
// with the resync reason instead of going on without it (as the hall stream always did), and the
// client reconnecting with since gets it.
func TestCaseStreamResyncsOnMissedEvent(t *testing.T) {
	e := newCaseEnv(t)
	l := &fakeCaseLog{subs: map[chan hall.CaseEvent]bool{}}
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv = NewServer(Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Reports: e.cs, Topics: e.topics, LongList: e.list, CaseLog: l})
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	sup := e.login("supervisor")
	lc := &hall.Case{ID: "c1", Number: "N1", Department: "library"}
	l.lose(lc)
	l.lose(lc) // the log is at seq 2 before anyone streams
	c := e.dialCases("/api/v1/cases/stream", sup, 0)
	if m, ok := readCase(t, c, 2*time.Second); !ok || m.Type != "snapshot" || m.Seq != 2 {
		t.Fatalf("snapshot: %s", m.raw)
	}
	l.lose(lc)    // seq 3: never delivered
	l.publish(lc) // seq 4
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, b, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater || ce.Text != reasonGap {
		t.Fatalf("after a missed event: %v %s; want close 1013 %q", err, b, reasonGap)
	}
	c = e.dialCases("/api/v1/cases/stream", sup, 2)
	for _, want := range []uint64{3, 4} {
		if m, ok := readCase(t, c, 2*time.Second); !ok || m.Seq != want {
			t.Fatalf("replay after the resync: %s, want seq %d", m.raw, want)
		}
	}
}
